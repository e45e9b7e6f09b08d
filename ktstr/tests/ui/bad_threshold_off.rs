use ktstr::harness::Ctx;

#[ktstr::test(max_spread_pct = of)]
fn misspelt_off(_ctx: &mut Ctx) -> anyhow::Result<()> {
    Ok(())
}

#[ktstr::test(isolation = 0)]
fn isolation_is_a_bool(_ctx: &mut Ctx) -> anyhow::Result<()> {
    Ok(())
}

fn main() {}
