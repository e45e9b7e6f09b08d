use ktstr::harness::Ctx;

#[ktstr::test(retries = 0)]
fn no_retries(_ctx: &mut Ctx) -> anyhow::Result<()> {
    Ok(())
}

#[ktstr::test(retries = 11)]
fn too_many(_ctx: &mut Ctx) -> anyhow::Result<()> {
    Ok(())
}

#[ktstr::test(retries = "2")]
fn a_string(_ctx: &mut Ctx) -> anyhow::Result<()> {
    Ok(())
}

#[ktstr::test(retries = -1)]
fn negative(_ctx: &mut Ctx) -> anyhow::Result<()> {
    Ok(())
}

fn main() {}
