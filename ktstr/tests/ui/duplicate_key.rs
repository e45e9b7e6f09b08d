use ktstr::harness::Ctx;

#[ktstr::test(workers = 2, duration = "1s", workers = 3)]
fn twice(_ctx: &mut Ctx) -> anyhow::Result<()> {
    Ok(())
}

fn main() {}
