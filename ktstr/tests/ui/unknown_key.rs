use ktstr::harness::Ctx;

#[ktstr::test(workers = 2, wokers = 4)]
fn misspelled(_ctx: &mut Ctx) -> anyhow::Result<()> {
    Ok(())
}

fn main() {}
