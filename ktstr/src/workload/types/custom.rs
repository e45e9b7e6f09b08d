//! `Custom`: a user body (closure or `CustomBody` value) that owns the
//! worker loop. Every worker holds a clone of the same `CustomFn`.

use super::{solo, Body, Entry, Family, Planned};
use crate::workload::{CustomFn, Worker};

pub(crate) const CUSTOM: Entry = Entry {
    name: "Custom",
    group: "-",
    about: "a user closure or CustomBody that owns the loop",
    default: None,
};

/// `Custom { name, run }`.
#[derive(Clone)]
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
        Ok(solo(n, || self.clone()))
    }
}

impl Body for Custom {
    fn run(&mut self, w: &mut Worker) -> Result<(), String> {
        self.run.run(w)
    }
}
