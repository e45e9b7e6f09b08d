use ktstr::harness::Ctx;

#[ktstr::test(cgroups = 2, cpusets = Overlap(1.5))]
fn too_much_overlap(_ctx: &mut Ctx) -> anyhow::Result<()> {
    Ok(())
}

fn main() {}
