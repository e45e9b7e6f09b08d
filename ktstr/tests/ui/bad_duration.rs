use ktstr::harness::Ctx;

#[ktstr::test(duration = "2 parsecs")]
fn wrong_unit(_ctx: &mut Ctx) -> anyhow::Result<()> {
    Ok(())
}

fn main() {}
