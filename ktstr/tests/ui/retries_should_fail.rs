use ktstr::harness::Ctx;

#[ktstr::test(should_fail, retries = 2)]
fn expects_a_failure(_ctx: &mut Ctx) -> anyhow::Result<()> {
    Ok(())
}

#[ktstr::test(retries = 1, should_fail = "starved")]
fn expects_a_message(_ctx: &mut Ctx) -> anyhow::Result<()> {
    Ok(())
}

fn main() {}
