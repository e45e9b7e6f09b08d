//! `Sequence`: a worker that cycles through timed phases.

use std::fs::File;
use std::time::Instant;

use super::io::{io_cycle, scratch_file};
use super::spin::SPIN_CHUNK;
use super::{solo, timed_yield, Body, Entry, Family, Planned};
use crate::workload::{Phase, Worker};

pub(crate) const SEQUENCE: Entry = Entry {
    name: "Sequence",
    group: "-",
    about: "cycle through timed Spin/Sleep/Yield/Io phases: multi-phase program behaviour",
    default: None,
};

/// `Sequence { phases }`.
#[derive(Clone)]
pub(crate) struct Sequence {
    pub phases: Vec<Phase>,
}

impl Family for Sequence {
    fn name(&self) -> &'static str {
        SEQUENCE.name
    }

    fn validate(&self) -> Result<(), String> {
        if self.phases.is_empty() {
            return Err("Sequence has no phases: give at least one Phase".into());
        }
        if let Some((i, p)) = self
            .phases
            .iter()
            .enumerate()
            .find(|(_, p)| p.duration().is_zero())
        {
            return Err(format!(
                "Sequence phase {i} ({p:?}) lasts 0: give it a duration"
            ));
        }
        Ok(())
    }

    fn plan(&self, n: usize) -> Result<Vec<Planned>, String> {
        Ok(solo(n, || SequenceBody {
            phases: self.phases.clone(),
            file: None,
        }))
    }
}

struct SequenceBody {
    phases: Vec<Phase>,
    file: Option<File>,
}

impl Body for SequenceBody {
    fn run(&mut self, w: &mut Worker) -> Result<(), String> {
        if self.phases.iter().any(|p| matches!(p, Phase::Io(_))) {
            self.file = Some(scratch_file()?);
        }
        loop {
            for phase in &self.phases {
                if w.should_stop() {
                    break;
                }
                let end = Instant::now() + phase.duration();
                match phase {
                    Phase::Spin(_) => loop {
                        w.spin(SPIN_CHUNK);
                        w.checkpoint();
                        if Instant::now() >= end || w.should_stop() {
                            break;
                        }
                    },
                    Phase::Sleep(d) => {
                        w.sleep(*d);
                    }
                    Phase::Yield(_) => loop {
                        w.add_units(1);
                        w.record_wake_latency(timed_yield());
                        w.checkpoint();
                        if Instant::now() >= end || w.should_stop() {
                            break;
                        }
                    },
                    Phase::Io(_) => loop {
                        let file = self.file.as_mut().expect("opened above");
                        io_cycle(file, w)?;
                        if Instant::now() >= end || w.should_stop() {
                            break;
                        }
                    },
                }
            }
            w.end_iteration();
            if w.should_stop() {
                return Ok(());
            }
        }
    }
}
