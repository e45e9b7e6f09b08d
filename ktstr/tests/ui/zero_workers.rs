use ktstr::harness::Ctx;

#[ktstr::test(work_type = Mixed, workers = 0)]
fn nobody_works(_ctx: &mut Ctx) -> anyhow::Result<()> {
    Ok(())
}

fn main() {}
