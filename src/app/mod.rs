//! All behaviour: `State`, `Action`, `update()`. No I/O here: the terminal loop feeds
//! actions in and carries the returned commands out, so every behaviour is a unit test.

pub mod action;
mod case_keys;
pub mod cases;
pub mod command;
pub mod control_detail;
pub mod control_keys;
pub mod controls;
pub mod detail;
pub mod entities;
mod entity_keys;
pub mod format;
pub mod help;
mod incident_keys;
pub mod incidents;
pub mod keymap;
mod keys;
pub mod layout;
pub mod live;
pub mod queue;
mod refresh;
pub mod score;
mod score_keys;
mod score_writes;
mod sim_keys;
pub mod sims;
mod state;
mod update;
pub mod writes;

pub use action::{Action, OutboxRow, RestoredWrite};
pub use case_keys::{LIST_TOP, TAB_TOP};
pub use command::{AlertQuery, Command, IncidentQuery};
pub use keymap::{KeyMap, KeymapError};
pub use sim_keys::{LIST_TOP as SIM_LIST_TOP, TENANT_TOP};
pub use state::{
    Choice, ConflictPrompt, Focus, Load, LoadMode, MenuKind, Message, Overlay, PageIn, PromptKind,
    SessionInfo, State, StatusPreset, TimePreset,
};
pub use update::update;

#[cfg(test)]
pub(crate) mod case_fixtures;
#[cfg(test)]
mod case_tests;
#[cfg(test)]
mod control_tests;
#[cfg(test)]
mod entity_tests;
#[cfg(test)]
pub(crate) mod fixtures;
#[cfg(test)]
mod incident_tests;
#[cfg(test)]
mod live_tests;
#[cfg(test)]
pub(crate) mod score_fixtures;
#[cfg(test)]
mod score_tests;
#[cfg(test)]
pub(crate) mod sim_fixtures;
#[cfg(test)]
mod sim_tests;
#[cfg(test)]
mod tests;
