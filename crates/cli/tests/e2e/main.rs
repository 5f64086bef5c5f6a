//! End-to-end tests of the `empower` binary, in one test binary: the real
//! Illinois files, input formats, the higher-performing commands and the
//! bad-input corpus.

#![allow(dead_code)]

mod bad_input;
mod common;
mod designate_real;
mod golden;
mod higher_performing;
mod inputs;
mod made_up_state;
mod users;
