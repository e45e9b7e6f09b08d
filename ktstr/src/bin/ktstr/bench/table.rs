//! [`print_table`]: columns sized to their widest cell.

/// How a column's cells line up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Align {
    /// Text at the left edge.
    Left,
    /// Text at the right edge (numbers and counts).
    Right,
}

/// Print `rows` under `header`, each column as wide as its widest cell,
/// columns two spaces apart. `align` has one entry per column.
pub(crate) fn print_table(header: &[&str], align: &[Align], rows: &[Vec<String>]) {
    for line in render(header, align, rows) {
        println!("{line}");
    }
}

/// The lines [`print_table`] prints.
fn render(header: &[&str], align: &[Align], rows: &[Vec<String>]) -> Vec<String> {
    let mut width: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, c) in width.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: &mut dyn Iterator<Item = &str>| {
        let parts: Vec<String> = cells
            .zip(&width)
            .zip(align)
            .map(|((c, &w), a)| match a {
                Align::Left => format!("{c:<w$}"),
                Align::Right => format!("{c:>w$}"),
            })
            .collect();
        parts.join("  ").trim_end().to_string()
    };
    let mut out = vec![line(&mut header.iter().copied())];
    out.extend(rows.iter().map(|r| line(&mut r.iter().map(String::as_str))));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_fit_the_widest_cell() {
        let rows = vec![
            vec!["Fork".to_string(), "512".to_string()],
            vec!["Thread".to_string(), "2".to_string()],
        ];
        let out = render(&["MODE", "N"], &[Align::Left, Align::Right], &rows);
        assert_eq!(out, vec!["MODE      N", "Fork    512", "Thread    2"]);
    }
}
