// The macro takes any expression; the type checker rejects a variant that
// does not exist, pointing at it.
use ktstr::harness::Ctx;

#[ktstr::test(work_type = Mixd)]
fn typo_in_variant(_ctx: &mut Ctx) -> anyhow::Result<()> {
    Ok(())
}

fn main() {}
