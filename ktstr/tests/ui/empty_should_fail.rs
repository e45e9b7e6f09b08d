use ktstr::harness::Ctx;

#[ktstr::test(should_fail = "")]
fn matches_everything(_ctx: &mut Ctx) -> anyhow::Result<()> {
    Ok(())
}

fn main() {}
