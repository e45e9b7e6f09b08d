use ktstr::harness::Ctx;

#[ktstr::test(requires(min_llcs = 0, min_numa_nodes = "two"))]
fn nowhere_to_run(_ctx: &mut Ctx) -> anyhow::Result<()> {
    Ok(())
}

#[ktstr::test(min_numa_nodes = 2)]
fn outside_requires(_ctx: &mut Ctx) -> anyhow::Result<()> {
    Ok(())
}

fn main() {}
