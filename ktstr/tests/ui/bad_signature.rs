use ktstr::harness::Ctx;

#[ktstr::test]
fn no_return_type(_ctx: &mut Ctx) {}

#[ktstr::test]
fn shared_borrow(_ctx: &Ctx) -> anyhow::Result<()> {
    Ok(())
}

#[ktstr::test]
async fn is_async(_ctx: &mut Ctx) -> anyhow::Result<()> {
    Ok(())
}

fn main() {}
