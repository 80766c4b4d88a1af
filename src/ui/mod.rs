//! Drawing: `State` in, frame out. Never mutates state, never does I/O.
