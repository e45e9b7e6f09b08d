use ktstr::harness::Ctx;

#[ktstr::test(clone_mode = Threads)]
fn plural(_ctx: &mut Ctx) -> anyhow::Result<()> {
    Ok(())
}

fn main() {}
