use ktstr::harness::Ctx;

#[ktstr::test(vm(cpu = 4))]
fn misspelled_key(_ctx: &mut Ctx) -> anyhow::Result<()> {
    Ok(())
}

#[ktstr::test(vm(memory_mb = 64, cpus = "four"))]
fn bad_values(_ctx: &mut Ctx) -> anyhow::Result<()> {
    Ok(())
}

#[ktstr::test(vm(cpus = 6, sockets = 2, cores = 2, threads = 2))]
fn topology_does_not_add_up(_ctx: &mut Ctx) -> anyhow::Result<()> {
    Ok(())
}

#[ktstr::test(vm = 4)]
fn vm_is_not_a_number(_ctx: &mut Ctx) -> anyhow::Result<()> {
    Ok(())
}

fn main() {}
