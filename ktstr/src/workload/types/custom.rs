//! `Custom`: a user function that owns the worker loop.

use super::{solo, Body, Entry, Family, Planned};
use crate::workload::{CustomFn, Worker};

pub(crate) const CUSTOM: Entry = Entry {
    name: "Custom",
    group: "-",
    about: "a user fn(&mut Worker) that owns the loop",
    default: None,
};

/// `Custom { name, run }`.
#[derive(Clone, Copy)]
pub(crate) struct Custom {
    pub name: &'static str,
    pub run: CustomFn,
}

impl Family for Custom {
    fn name(&self) -> &'static str {
        self.name
    }

    fn validate(&self) -> Result<(), String> {
        if self.name.is_empty() {
            return Err("Custom work type has an empty name: name it for the reports".into());
        }
        Ok(())
    }

    fn plan(&self, n: usize) -> Result<Vec<Planned>, String> {
        Ok(solo(n, || *self))
    }
}

impl Body for Custom {
    fn run(&mut self, w: &mut Worker) -> Result<(), String> {
        (self.run)(w)
    }
}
