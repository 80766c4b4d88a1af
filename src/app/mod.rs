//! All behaviour: `State`, `Action`, `update()`. No I/O here.

pub mod action;
pub mod command;

pub use action::Action;
pub use command::{AlertQuery, Command};
