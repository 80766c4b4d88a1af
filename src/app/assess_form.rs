//! The new-assessment form: a kind picker, the kind's own fields, a category picker and
//! the expected assessment; and the checks that run before anything is sent.
//!
//! Checking here (in `app::update`, before a command exists) means a missing or malformed
//! field never costs one of the few POSTs Graph allows: 1 per resource per 15 minutes.
//! Only what cannot be checked without I/O (the file) is left to the worker.

use super::assess::{AssessDraft, DraftTarget};
use crate::graph::assess::{
    AssessmentKind, ExpectedAssessment, ThreatCategory, check_address, check_message_uri, check_url,
};
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::style::{Modifier, Style};
use ratatui_textarea::TextArea;
use std::path::PathBuf;

/// One field of the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormField {
    Kind,
    Url,
    MessageUri,
    Recipient,
    Path,
    Category,
    Expected,
}

/// The fields shown for `kind`, in Tab order.
pub fn fields(kind: AssessmentKind) -> &'static [FormField] {
    use FormField::*;
    match kind {
        AssessmentKind::Url => &[Kind, Url, Category, Expected],
        AssessmentKind::Mail => &[Kind, MessageUri, Recipient, Category, Expected],
        AssessmentKind::File => &[Kind, Path, Category, Expected],
        AssessmentKind::EmailFile => &[Kind, Path, Recipient, Category, Expected],
    }
}

/// The field's label for `kind` (the path is an .eml file for an email-file request).
pub fn label(kind: AssessmentKind, field: FormField) -> &'static str {
    match field {
        FormField::Kind => "Kind",
        FormField::Url => "URL",
        FormField::MessageUri => "Message URI",
        FormField::Recipient => "Recipient",
        FormField::Path if kind == AssessmentKind::EmailFile => "Email file (.eml)",
        FormField::Path => "File",
        FormField::Category => "Category",
        FormField::Expected => "Expected",
    }
}

/// The expected assessments, in the picker's order (block first: the usual report is of
/// something that got through).
pub const EXPECTED: [ExpectedAssessment; 2] =
    [ExpectedAssessment::Block, ExpectedAssessment::Unblock];

/// A problem with one field (or with the submission as a whole, `field` `None`: a 429),
/// shown in the form and in the status line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: Option<FormField>,
    pub text: String,
}

/// The form's content.
#[derive(Debug)]
pub struct AssessForm {
    pub kind: AssessmentKind,
    pub url: Box<TextArea<'static>>,
    pub message_uri: Box<TextArea<'static>>,
    pub recipient: Box<TextArea<'static>>,
    pub path: Box<TextArea<'static>>,
    /// Index into [`ThreatCategory::SUBMITTABLE`].
    pub category: usize,
    /// Index into [`EXPECTED`].
    pub expected: usize,
    pub field: FormField,
    pub error: Option<FieldError>,
}

fn input(placeholder: &str) -> Box<TextArea<'static>> {
    let mut t = TextArea::default();
    t.set_placeholder_text(placeholder);
    Box::new(t)
}

impl Default for AssessForm {
    fn default() -> Self {
        let mut form = AssessForm {
            kind: AssessmentKind::Url,
            url: input("https://… (absolute http or https URL)"),
            message_uri: input("https://graph.microsoft.com/v1.0/users/{id}/messages/{id}"),
            recipient: input("mailbox that received it, e.g. adelev@contoso.com"),
            path: input("path on this host, e.g. ~/samples/invoice.pdf"),
            category: 0,
            expected: 0,
            field: FormField::Kind,
            error: None,
        };
        form.sync_cursor();
        form
    }
}

impl AssessForm {
    pub fn fields(&self) -> &'static [FormField] {
        fields(self.kind)
    }

    pub fn category(&self) -> ThreatCategory {
        ThreatCategory::SUBMITTABLE[self.category % ThreatCategory::SUBMITTABLE.len()].clone()
    }

    pub fn expected(&self) -> ExpectedAssessment {
        EXPECTED[self.expected % EXPECTED.len()].clone()
    }

    /// The text input of `field`, for the text fields.
    pub fn text_input(&self, field: FormField) -> Option<&TextArea<'static>> {
        match field {
            FormField::Url => Some(&self.url),
            FormField::MessageUri => Some(&self.message_uri),
            FormField::Recipient => Some(&self.recipient),
            FormField::Path => Some(&self.path),
            _ => None,
        }
    }

    fn text_input_mut(&mut self, field: FormField) -> Option<&mut TextArea<'static>> {
        match field {
            FormField::Url => Some(&mut self.url),
            FormField::MessageUri => Some(&mut self.message_uri),
            FormField::Recipient => Some(&mut self.recipient),
            FormField::Path => Some(&mut self.path),
            _ => None,
        }
    }

    /// A text field's content, trimmed (one line: the inputs never hold a newline).
    pub fn text(&self, field: FormField) -> String {
        self.text_input(field)
            .map(|t| t.lines().concat().trim().to_owned())
            .unwrap_or_default()
    }

    /// Shows the text cursor only in the field that has the keys.
    pub fn sync_cursor(&mut self) {
        let focused = self.field;
        for f in [
            FormField::Url,
            FormField::MessageUri,
            FormField::Recipient,
            FormField::Path,
        ] {
            let style = if f == focused {
                Style::default().add_modifier(Modifier::REVERSED)
            } else {
                Style::default()
            };
            if let Some(t) = self.text_input_mut(f) {
                t.set_cursor_style(style);
            }
        }
    }

    /// Moves to the next (`by` 1) or previous (`by` -1) field of this kind, wrapping.
    pub fn step(&mut self, by: isize) {
        let fields = self.fields();
        let n = fields.len() as isize;
        let at = fields.iter().position(|f| *f == self.field).unwrap_or(0) as isize;
        self.field = fields[(at + by).rem_euclid(n) as usize];
        self.sync_cursor();
    }

    /// Puts the keys on `field` (it must be one of this kind's).
    pub fn focus(&mut self, field: FormField) {
        self.field = field;
        self.sync_cursor();
    }

    /// A key for the focused field. Pickers take arrows, h/l, space and digits; text
    /// fields take everything else. Tab order is handled by the caller.
    pub fn key(&mut self, key: KeyEvent) {
        match self.field {
            FormField::Kind => {
                let all = AssessmentKind::ALL;
                let at = all.iter().position(|k| *k == self.kind).unwrap_or(0);
                if let Some(i) = pick(at, all.len(), key) {
                    self.kind = all[i];
                }
            }
            FormField::Category => {
                let n = ThreatCategory::SUBMITTABLE.len();
                if let Some(i) = pick(self.category, n, key) {
                    self.category = i;
                }
            }
            FormField::Expected => {
                if let Some(i) = pick(self.expected, EXPECTED.len(), key) {
                    self.expected = i;
                }
            }
            field => {
                if let Some(t) = self.text_input_mut(field) {
                    t.input(key);
                }
                // The analyst is fixing what was refused: the complaint is out of date.
                if self.error.as_ref().is_some_and(|e| e.field == Some(field)) {
                    self.error = None;
                }
            }
        }
    }

    /// Bracketed paste into the focused text field, as one line (the caller sanitises).
    pub fn paste(&mut self, text: &str) {
        let field = self.field;
        if let Some(t) = self.text_input_mut(field) {
            t.insert_str(text.replace(['\r', '\n'], ""));
            if self.error.as_ref().is_some_and(|e| e.field == Some(field)) {
                self.error = None;
            }
        }
    }

    /// Checks every field of the kind, in the order shown; the first problem is returned.
    pub fn validate(&self) -> Result<AssessDraft, FieldError> {
        let err = |field, text: &str| FieldError {
            field: Some(field),
            text: text.to_owned(),
        };
        let required = |field: FormField, what: &str| {
            let v = self.text(field);
            if v.is_empty() {
                Err(err(field, &format!("{what} is required")))
            } else {
                Ok(v)
            }
        };
        let target = match self.kind {
            AssessmentKind::Url => {
                let url = required(FormField::Url, "A URL")?;
                check_url(&url).map_err(|e| err(FormField::Url, &e))?;
                DraftTarget::Url { url }
            }
            AssessmentKind::Mail => {
                let message_uri = required(FormField::MessageUri, "The message URI")?;
                check_message_uri(&message_uri).map_err(|e| err(FormField::MessageUri, &e))?;
                let recipient = required(FormField::Recipient, "The recipient's address")?;
                check_address(&recipient).map_err(|e| err(FormField::Recipient, &e))?;
                DraftTarget::Mail {
                    message_uri,
                    recipient,
                }
            }
            AssessmentKind::File => DraftTarget::File {
                path: PathBuf::from(required(FormField::Path, "A file path")?),
            },
            AssessmentKind::EmailFile => {
                let path = PathBuf::from(required(FormField::Path, "The .eml file's path")?);
                let recipient = required(FormField::Recipient, "The recipient's address")?;
                check_address(&recipient).map_err(|e| err(FormField::Recipient, &e))?;
                DraftTarget::EmailFile { path, recipient }
            }
        };
        Ok(AssessDraft {
            target,
            category: self.category(),
            expected: self.expected(),
        })
    }
}

/// A picker's new index for `key`, or `None` when the key does not move it.
fn pick(at: usize, n: usize, key: KeyEvent) -> Option<usize> {
    match key.code {
        KeyCode::Left | KeyCode::Char('h') => Some((at + n - 1) % n),
        KeyCode::Right | KeyCode::Char('l' | ' ') => Some((at + 1) % n),
        KeyCode::Char(c @ '1'..='9') => {
            let i = c as usize - '1' as usize;
            (i < n).then_some(i)
        }
        _ => None,
    }
}
