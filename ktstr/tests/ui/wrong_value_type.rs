use ktstr::harness::Ctx;

#[ktstr::test(workers = "4")]
fn quoted_number(_ctx: &mut Ctx) -> anyhow::Result<()> {
    Ok(())
}

fn main() {}
