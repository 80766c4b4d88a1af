//! graphsec: a keyboard-driven terminal console over the Microsoft Graph security API.
//!
//! Data flows one way: terminal input and worker updates become [`app::Action`]s;
//! [`app::update`] changes [`app::State`] and returns [`app::Command`]s for the background
//! [`worker`]; [`ui`] draws the state. [`graph`] and [`emulator`] know nothing of the UI.

pub mod app;
pub mod assess_file;
pub mod config;
pub mod correlate;
pub mod demo;
pub mod emulator;
pub mod follower;
pub mod graph;
pub mod headless;
pub mod logging;
pub mod operations;
pub mod outbox;
pub mod planned;
pub mod private_file;
pub mod sanitize;
pub mod signin;
pub mod text;
pub mod tui;
pub mod ui;
pub mod worker;
