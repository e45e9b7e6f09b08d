use ktstr::harness::Ctx;

const NOT_A_SCHEDULER: &str = "scx_simple";

#[ktstr::test(scheduler = NOT_A_SCHEDULER)]
fn t(_: &mut Ctx) -> anyhow::Result<()> {
    Ok(())
}

#[ktstr::test(scheduler = 5)]
fn u(_: &mut Ctx) -> anyhow::Result<()> {
    Ok(())
}

fn main() {}
