//! Item syntax: `key`, `key = value` or `key(...)`, comma-separated, and
//! collecting the errors of many items into one.

use proc_macro2::{Delimiter, Group, Span};
use syn::ext::IdentExt;
use syn::parse::ParseStream;
use syn::spanned::Spanned;
use syn::{Expr, Ident, Token};

/// One `key`, `key = value` or `key(...)` item, before its key is looked up.
pub(crate) struct Item {
    /// The key as written.
    pub key: Ident,
    /// What follows it.
    pub value: Value,
}

/// What follows a key.
pub(crate) enum Value {
    /// `key` alone.
    Bare,
    /// `key = EXPR`.
    Eq(Box<Expr>),
    /// `key(...)`.
    List(Group),
}

impl Item {
    /// The key without `r#`.
    pub fn name(&self) -> String {
        self.key.unraw().to_string()
    }

    /// The span of the value, or of the key when there is none.
    pub fn value_span(&self) -> Span {
        match &self.value {
            Value::Bare => self.key.span(),
            Value::Eq(e) => e.span(),
            Value::List(g) => g.span(),
        }
    }
}

/// Items separated by commas (a trailing comma is fine).
pub(crate) fn parse_items(input: ParseStream) -> syn::Result<Vec<Item>> {
    let mut items = Vec::new();
    while !input.is_empty() {
        if !input.peek(Ident::peek_any) {
            return Err(input.error("expected a key, e.g. workers = 4"));
        }
        let key = Ident::parse_any(input)?;
        let value = if input.peek(Token![=]) {
            input.parse::<Token![=]>()?;
            Value::Eq(Box::new(input.parse::<Expr>()?))
        } else if input.peek(syn::token::Paren) {
            let g: Group = input.parse()?;
            debug_assert_eq!(g.delimiter(), Delimiter::Parenthesis);
            Value::List(g)
        } else if input.is_empty() || input.peek(Token![,]) {
            Value::Bare
        } else {
            return Err(input.error(format!("expected `=`, `(` or `,` after `{key}`")));
        };
        items.push(Item { key, value });
        if !input.is_empty() {
            input.parse::<Token![,]>()?;
        }
    }
    Ok(items)
}

/// The errors of a parse, collected so all are reported at once.
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    /// Adds `e`.
    pub fn push(&mut self, e: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(e),
            None => self.0 = Some(e),
        }
    }

    /// Fails with every collected error, or returns `value`.
    pub fn finish<T>(self, value: T) -> syn::Result<T> {
        match self.0 {
            Some(e) => Err(e),
            None => Ok(value),
        }
    }
}
