//! The `:controls` pane's own state: the table's cursor and filter, and the profile open.

/// The `:controls` table and the profile opened from it.
#[derive(Debug, Default)]
pub struct ControlsView {
    /// The selected control's id (the selection follows the control, not a row number).
    pub cursor_id: Option<String>,
    pub cursor: usize,
    /// First table row on screen.
    pub offset: usize,
    /// Type-to-filter text.
    pub filter: String,
    /// Lines scrolled in the open profile.
    pub scroll: usize,
}
