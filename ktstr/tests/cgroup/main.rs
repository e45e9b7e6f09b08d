//! Integration tests of the cgroup layer on this host's real cgroup v1
//! hierarchy (as root): nested cgroups and their knobs, Fork and Thread
//! worker placement, disjoint cpusets, cleanup after panics and after a
//! SIGKILLed run. Each test skips with a printed reason when the host
//! cannot run it (not root, no v1 cpuset/cpu hierarchy). The v2 protocol
//! is covered by the library's unit tests against a fake tree.

mod cleanup;
mod common;
mod manager;
mod placement;
mod rt;
mod setup;
