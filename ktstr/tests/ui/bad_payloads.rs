use ktstr::harness::Ctx;

#[ktstr::test(payloads = [])]
fn none(_ctx: &mut Ctx) -> anyhow::Result<()> {
    Ok(())
}

#[ktstr::test(payloads = "stress-ng")]
fn not_a_list(_ctx: &mut Ctx) -> anyhow::Result<()> {
    Ok(())
}

#[ktstr::test(payloads = ["/usr/bin/stress-ng"])]
fn a_path(_ctx: &mut Ctx) -> anyhow::Result<()> {
    Ok(())
}

#[ktstr::test(payloads = [stress_ng])]
fn not_a_string(_ctx: &mut Ctx) -> anyhow::Result<()> {
    Ok(())
}

fn main() {}
