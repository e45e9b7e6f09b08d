//! [`VmResult`]: what the guest's init sends back on the result port,
//! between [`RESULT_BEGIN`] and [`RESULT_END`] lines.

use serde::{Deserialize, Serialize};

use crate::harness::TestOutcome;

/// The line before the record.
pub const RESULT_BEGIN: &str = "KTSTR-VM-RESULT-BEGIN";
/// The line after the record.
pub const RESULT_END: &str = "KTSTR-VM-RESULT-END";
/// The line the guest's init writes first, so the host can time the boot.
pub const INIT_STARTED: &str = "KTSTR-VM-INIT";

/// The guest's report on the one test it ran.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct VmResult {
    /// The test child's outcome, when it sent one.
    pub outcome: Option<TestOutcome>,
    /// Why there is no outcome (the guest supervisor's reason, or an error
    /// of init itself).
    pub failure: Option<String>,
    /// The test's captured output (head and tail).
    pub output: String,
    /// Wall time of the test child in the guest, in ns.
    pub elapsed_ns: u64,
    /// Faults the guest supervisor saw (leaked processes).
    pub faults: Vec<String>,
    /// The guest kernel's release (`uname -r`).
    pub kernel: String,
    /// The last lines of the guest kernel's log.
    pub kmsg_tail: Vec<String>,
    /// The exit code of a command run in the guest (`ktstr run --vm`).
    pub exit_code: Option<i32>,
}

impl VmResult {
    /// The record as the lines the guest writes.
    pub fn encode(&self) -> Vec<u8> {
        let json = serde_json::to_string(self)
            .unwrap_or_else(|e| format!("{{\"failure\":\"cannot encode the guest result: {e}\"}}"));
        format!("\n{RESULT_BEGIN}\n{json}\n{RESULT_END}\n").into_bytes()
    }

    /// The record between the markers in `port` (what the host read from
    /// the result port); None when the end marker has not arrived.
    pub fn decode(port: &[u8]) -> Option<Result<VmResult, String>> {
        let text = String::from_utf8_lossy(port);
        let start = text.find(RESULT_BEGIN)? + RESULT_BEGIN.len();
        let len = text[start..].find(RESULT_END)?;
        let body: String = text[start..start + len]
            .chars()
            .filter(|c| *c != '\r')
            .collect();
        Some(
            serde_json::from_str(body.trim())
                .map_err(|e| format!("the guest's result record is corrupt ({e})")),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_survives_the_port_with_carriage_returns_and_noise() {
        let r = VmResult {
            failure: Some("timed out after 3 s".into()),
            kernel: "7.2.13".into(),
            output: "line 1\nline 2\n".into(),
            ..VmResult::default()
        };
        let mut port = b"noise\r\n".to_vec();
        port.extend(
            String::from_utf8(r.encode())
                .unwrap()
                .replace('\n', "\r\n")
                .into_bytes(),
        );
        let back = VmResult::decode(&port).unwrap().unwrap();
        assert_eq!(back.kernel, "7.2.13");
        assert_eq!(back.output, r.output);
        assert!(VmResult::decode(&port[..port.len() - 10]).is_none());
        let corrupt = format!("{RESULT_BEGIN}\n{{nope\n{RESULT_END}\n");
        assert!(VmResult::decode(corrupt.as_bytes()).unwrap().is_err());
    }
}
