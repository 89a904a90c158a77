//! `safe_file_name`: a client's file name reduced to one safe path component.

/// The longest name [`safe_file_name`] returns, in bytes: under the 255
/// common file systems allow, with room for the suffix `save_in` adds when
/// the name is taken.
const MAX_FILE_NAME: usize = 200;

/// A client's file name reduced to one path component that is safe to join
/// under a directory, or `None` when nothing usable is left.
///
/// Only the last component is kept (after any `/` or `\`, which removes
/// absolute paths, `..` and drive prefixes like `C:\`); a drive prefix
/// without a separator (`C:name`), NUL, control characters, the characters
/// Windows refuses (`< > : " | ? *`), invisible and direction-changing
/// characters (which make a name display as another), leading dots (hidden
/// files, `..`) and leading or trailing spaces and dots are removed; a name
/// Windows reserves for a device (`CON`, `NUL`, `COM1`, …) is refused; the
/// rest is cut to 200 bytes, keeping the extension.
///
/// ```
/// use waypost::multipart::safe_file_name;
///
/// assert_eq!(safe_file_name("report.pdf").as_deref(), Some("report.pdf"));
/// assert_eq!(safe_file_name("../../etc/passwd").as_deref(), Some("passwd"));
/// assert_eq!(safe_file_name("C:\\Users\\ada\\notes.txt").as_deref(), Some("notes.txt"));
/// assert_eq!(safe_file_name(".bashrc").as_deref(), Some("bashrc"));
/// assert_eq!(safe_file_name("a\u{0}b\nc.txt").as_deref(), Some("abc.txt"));
/// assert_eq!(safe_file_name(".."), None);
/// assert_eq!(safe_file_name("/"), None);
/// assert_eq!(safe_file_name("nul.txt"), None);
/// ```
pub fn safe_file_name(raw: &str) -> Option<String> {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or(raw);
    let last = match last.as_bytes() {
        [drive, b':', ..] if drive.is_ascii_alphabetic() => &last[2..],
        _ => last,
    };
    let cleaned: String = last
        .chars()
        .filter(|&c| !c.is_control() && !"<>:\"|?*".contains(c) && !is_invisible(c))
        .collect();
    let name = truncate_keeping_extension(trim_name(&cleaned), MAX_FILE_NAME);
    // Cutting may leave a trailing dot or space, which Windows drops.
    let name = trim_name(&name);
    if name.is_empty() || crate::extract::is_reserved_on_windows(name) {
        return None;
    }
    Some(name.to_owned())
}

fn trim_name(name: &str) -> &str {
    name.trim_start_matches(['.', ' '])
        .trim_end_matches(['.', ' '])
}

/// Zero-width and direction-formatting characters (Unicode `Cf` ones that
/// change how a name displays: `evil\u{202E}gpj.exe` shows as `evilexe.jpg`).
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}')
}

fn truncate_keeping_extension(name: &str, max: usize) -> String {
    if name.len() <= max {
        return name.to_owned();
    }
    let extension = match name.rfind('.') {
        Some(dot) if name.len() - dot <= 16 => &name[dot..],
        _ => "",
    };
    let mut end = max - extension.len();
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{extension}", &name[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_file_names() {
        for (raw, safe) in [
            ("report.pdf", Some("report.pdf")),
            ("../../etc/passwd", Some("passwd")),
            ("..\\..\\boot.ini", Some("boot.ini")),
            ("/etc/shadow", Some("shadow")),
            ("C:\\x\\y.txt", Some("y.txt")),
            ("C:y.txt", Some("y.txt")),
            ("a:b.txt", Some("b.txt")),
            ("...", None),
            ("..", None),
            (".", None),
            ("", None),
            ("dir/", None),
            ("  spaced  ", Some("spaced")),
            ("trailing.", Some("trailing")),
            ("\u{0}\u{1}\u{7f}", None),
            ("evil\u{202E}gpj.exe", Some("evilgpj.exe")),
            ("a<b>c:d\"e|f?g*h.txt", Some("abcdefgh.txt")),
            ("COM0.txt", None),
            ("lpt\u{b9}", None),
            ("CONIN$", None),
            ("com10", Some("com10")),
            ("ok\u{0}.txt", Some("ok.txt")),
            ("CON", None),
            ("com1.log", None),
            ("console.log", Some("console.log")),
            ("café.png", Some("café.png")),
        ] {
            assert_eq!(safe_file_name(raw).as_deref(), safe, "{raw:?}");
        }
        let long = format!("{}.tar.gz", "é".repeat(300));
        let safe = safe_file_name(&long).unwrap();
        assert!(safe.len() <= MAX_FILE_NAME, "{}", safe.len());
        assert!(safe.ends_with(".gz"), "{safe}");
    }
}
