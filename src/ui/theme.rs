//! Styles. ANSI-16 named colours only (they follow the analyst's terminal palette, also
//! inside tmux and over SSH), no backgrounds (`Color::Reset`), reverse video for the cursor.
//! With `no_color` every colour goes but bold/reverse/underline stay, and no meaning is
//! carried by colour alone: severity, status and pending writes are also text.

use crate::app::detail::Tone;
use crate::graph::enums::{AlertSeverity, AlertStatus, IncidentStatus};
use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, Copy)]
pub struct Theme {
    no_color: bool,
}

impl Theme {
    pub fn new(no_color: bool) -> Theme {
        Theme { no_color }
    }

    fn fg(&self, c: Color) -> Style {
        if self.no_color {
            Style::new()
        } else {
            Style::new().fg(c)
        }
    }

    pub fn plain(&self) -> Style {
        Style::new()
    }

    pub fn bold(&self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    pub fn dim(&self) -> Style {
        self.fg(Color::DarkGray)
    }

    pub fn cursor(&self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    pub fn marked(&self) -> Style {
        self.fg(Color::Magenta).add_modifier(Modifier::BOLD)
    }

    pub fn header(&self) -> Style {
        Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
    }

    pub fn accent(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    pub fn key(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    pub fn pending(&self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::ITALIC)
    }

    pub fn error(&self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    pub fn warn(&self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }

    /// The `:score` chart's series. With `no_color` they differ by the legend and the
    /// target's dashes only, so every value is also written beside the chart.
    pub fn chart_score(&self) -> Style {
        self.fg(Color::Cyan)
    }

    pub fn chart_all_tenants(&self) -> Style {
        self.fg(Color::Magenta)
    }

    pub fn chart_similar(&self) -> Style {
        self.fg(Color::Green)
    }

    pub fn chart_target(&self) -> Style {
        self.fg(Color::Yellow)
    }

    pub fn severity(&self, s: Option<&AlertSeverity>) -> Style {
        match s {
            Some(AlertSeverity::High) => self.fg(Color::Red).add_modifier(Modifier::BOLD),
            Some(AlertSeverity::Medium) => self.fg(Color::Yellow),
            Some(AlertSeverity::Low) => self.fg(Color::Blue),
            _ => self.dim(),
        }
    }

    pub fn status(&self, s: Option<&AlertStatus>) -> Style {
        match s {
            Some(AlertStatus::New) => self.fg(Color::Cyan),
            Some(AlertStatus::InProgress) => self.fg(Color::Green),
            Some(AlertStatus::Resolved) => self.dim(),
            _ => self.plain(),
        }
    }

    pub fn incident_status(&self, s: Option<&IncidentStatus>) -> Style {
        match s {
            Some(IncidentStatus::Active) => self.fg(Color::Cyan),
            Some(IncidentStatus::InProgress) => self.fg(Color::Green),
            Some(IncidentStatus::Resolved | IncidentStatus::Redirected) => self.dim(),
            _ => self.plain(),
        }
    }

    pub fn tone(&self, t: Tone) -> Style {
        match t {
            Tone::Title => self.bold(),
            Tone::Heading => self.accent().add_modifier(Modifier::UNDERLINED),
            Tone::Label => self.dim(),
            Tone::Value => self.plain(),
            Tone::Dim => self.dim(),
            Tone::Pending => self.pending(),
            Tone::Warn => self.warn(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_keeps_modifiers_and_drops_colours() {
        let t = Theme::new(true);
        let high = t.severity(Some(&AlertSeverity::High));
        assert_eq!(high.fg, None);
        assert!(high.add_modifier.contains(Modifier::BOLD));
        assert!(t.cursor().add_modifier.contains(Modifier::REVERSED));
        let c = Theme::new(false);
        assert_eq!(c.severity(Some(&AlertSeverity::High)).fg, Some(Color::Red));
        assert_eq!(c.cursor().bg, None, "no hard-coded backgrounds");
    }
}
