//! The depth scan: refusing an `okta.yaml` nested too deeply before the
//! YAML parser sees it.
//!
//! [`nesting_depth_exceeds`] walks the text once, the way the YAML scanner
//! splits it into tokens, and counts open flow collections (`[`, `{`) and
//! block collections (indentation levels and compact `- - -` entries). The
//! YAML scanner is quadratic in the flow depth (a 64 KiB file of `[` takes
//! half a minute to refuse), the scan is linear. Where it cannot tell
//! structure from text it counts, so it can only refuse too much, never too
//! little.

/// The 1-based line on which `text` nests deeper than `max` collections
/// (flow and block together), or `None` when it never does.
pub(super) fn nesting_depth_exceeds(text: &str, max: usize) -> Option<usize> {
    let mut scan = Scan {
        max,
        indents: Vec::new(),
        flow: Vec::new(),
        pairs: 0,
        key_peak: 0,
        carry: Carry::None,
        line: 0,
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    for (i, line) in text.split('\n').enumerate() {
        scan.line = i + 1;
        let line = line.strip_suffix('\r').unwrap_or(line).as_bytes();
        if scan.scan_line(line).is_err() {
            return Some(scan.line);
        }
    }
    None
}

/// Too deep.
struct Deep;

/// What continues from one line onto the next.
#[derive(Clone, Copy)]
enum Carry {
    None,
    /// Inside a quoted scalar opened with this quote.
    Quoted(u8),
    /// After a plain scalar, which may continue on the next line.
    Plain,
    /// Inside a block scalar (`|`, `>`) of the block collection at
    /// `parent` (-1 at the top level); `indent` is its content's
    /// indentation once known, until then `leading` the most spaces on a
    /// leading empty line (which count too).
    BlockScalar {
        parent: isize,
        indent: Option<usize>,
        leading: usize,
    },
}

#[derive(Clone, Copy)]
struct Flow {
    seq: bool,
    /// In a sequence: a `key: value` pair is open.
    pair: bool,
}

struct Scan {
    max: usize,
    /// The open block collections, innermost last: their column, and
    /// whether they are sequences.
    indents: Vec<(usize, bool)>,
    /// The open flow collections, innermost last.
    flow: Vec<Flow>,
    /// How many of them are sequences holding a single-pair mapping
    /// (`[a: b]`, `[? a]`), one level deeper.
    pairs: usize,
    /// The deepest flow nesting inside the current block-context token:
    /// when a `:` makes it a key, it nests inside the mapping too.
    key_peak: usize,
    carry: Carry,
    line: usize,
}

fn is_blank(b: Option<&u8>) -> bool {
    matches!(b, None | Some(b' ' | b'\t'))
}

fn is_flow_indicator(b: u8) -> bool {
    matches!(b, b',' | b'[' | b']' | b'{' | b'}')
}

fn indentation(line: &[u8]) -> usize {
    line.iter().take_while(|&&b| b == b' ').count()
}

impl Scan {
    fn check(&self) -> Result<(), Deep> {
        let flow = self.flow.len() + self.pairs;
        if self.indents.len() + flow.max(self.key_peak) > self.max {
            Err(Deep)
        } else {
            Ok(())
        }
    }

    fn parent(&self) -> isize {
        self.indents
            .last()
            .map_or(-1, |&(c, _)| isize::try_from(c).unwrap_or(isize::MAX))
    }

    /// Closes the block collections deeper than `col`.
    fn unroll(&mut self, col: usize) {
        while self.indents.last().is_some_and(|&(top, _)| top > col) {
            self.indents.pop();
        }
    }

    /// A block collection at `col`: a sequence (`- `) or a mapping (a key).
    /// A sequence in the same column as a mapping is the value of one of
    /// its keys (an "indentless" sequence), one level deeper; a key in that
    /// column ends it.
    fn enter(&mut self, col: usize, seq: bool) -> Result<(), Deep> {
        self.unroll(col);
        match self.indents.last() {
            Some(&(top, top_seq)) if top == col => {
                if seq && !top_seq {
                    self.indents.push((col, true));
                } else if !seq && top_seq {
                    self.indents.pop();
                    if self.indents.last() != Some(&(col, false)) {
                        self.indents.push((col, false));
                    }
                }
            }
            _ => self.indents.push((col, seq)),
        }
        self.check()
    }

    fn in_flow(&self) -> bool {
        !self.flow.is_empty()
    }

    fn open_flow(&mut self, seq: bool) -> Result<(), Deep> {
        self.flow.push(Flow { seq, pair: false });
        self.key_peak = self.key_peak.max(self.flow.len() + self.pairs);
        self.check()
    }

    fn close_flow(&mut self) {
        if self.flow.pop().is_some_and(|f| f.pair) {
            self.pairs -= 1;
        }
    }

    /// A `key: value` pair in the innermost flow collection: in a
    /// sequence, a mapping of its own; `close` ends it (at a `,`).
    fn flow_pair(&mut self, close: bool) -> Result<(), Deep> {
        if let Some(f) = self.flow.last_mut()
            && f.seq
            && f.pair == close
        {
            f.pair = !close;
            if close {
                self.pairs -= 1;
            } else {
                self.pairs += 1;
                self.key_peak = self.key_peak.max(self.flow.len() + self.pairs);
            }
        }
        self.check()
    }

    fn scan_line(&mut self, line: &[u8]) -> Result<(), Deep> {
        let indent = indentation(line);
        let blank = line[indent..].iter().all(|&b| b == b' ' || b == b'\t');
        let marker = line.len() >= 3
            && (line.starts_with(b"---") || line.starts_with(b"..."))
            && is_blank(line.get(3));
        let mut pos = 0;
        match self.carry {
            Carry::None => {}
            Carry::Quoted(quote) => match quoted_end(line, 0, quote) {
                Some(end) => {
                    self.carry = Carry::None;
                    pos = end;
                }
                None => return Ok(()),
            },
            Carry::BlockScalar {
                parent,
                indent: content,
                leading,
            } => {
                if blank {
                    if content.is_none() {
                        self.carry = Carry::BlockScalar {
                            parent,
                            indent: None,
                            leading: leading.max(indent),
                        };
                    }
                    return Ok(());
                }
                // libyaml's rule: the first line's indentation (or a
                // leading empty line's, if more), at least one more than
                // the parent's and at least 1.
                let content = content.unwrap_or_else(|| {
                    let floor = usize::try_from(parent.saturating_add(1)).unwrap_or(0);
                    indent.max(leading).max(floor).max(1)
                });
                if indent >= content {
                    self.carry = Carry::BlockScalar {
                        parent,
                        indent: Some(content),
                        leading,
                    };
                    return Ok(());
                }
                self.carry = Carry::None;
            }
            Carry::Plain => {
                let continues = !blank
                    && !marker
                    && line.get(indent) != Some(&b'#')
                    && (self.in_flow()
                        || isize::try_from(indent).unwrap_or(isize::MAX) > self.parent());
                if blank {
                    return Ok(());
                }
                self.carry = Carry::None;
                if continues {
                    pos = self.plain(line, indent);
                }
            }
        }
        if pos == 0 {
            if blank {
                return Ok(());
            }
            if marker {
                self.indents.clear();
                pos = 3;
            } else if !self.in_flow() {
                if line[indent] == b'#' || (indent == 0 && line[0] == b'%') {
                    return Ok(());
                }
                self.unroll(indent);
            }
        }
        self.tokens(line, pos)
    }

    /// Scans tokens from `pos` to the end of the line.
    fn tokens(&mut self, line: &[u8], mut pos: usize) -> Result<(), Deep> {
        // Where the last token outside flow collections began: a `:` makes
        // it a key, and its column that of a block mapping.
        let mut key_col = None;
        // After an anchor or a tag, the node (and key) began there.
        let mut after_properties = false;
        loop {
            while is_blank(line.get(pos)) && pos < line.len() {
                pos += 1;
            }
            let Some(&b) = line.get(pos) else {
                return Ok(());
            };
            let next = line.get(pos + 1);
            let value = b == b':' && (self.in_flow() || is_blank(next));
            if !self.in_flow() && !value && !after_properties {
                key_col = Some(pos);
                self.key_peak = 0;
            }
            after_properties = matches!(b, b'&' | b'!');
            match b {
                b'#' => return Ok(()),
                b'[' | b'{' => {
                    self.open_flow(b == b'[')?;
                    pos += 1;
                }
                b']' | b'}' => {
                    self.close_flow();
                    pos += 1;
                }
                b',' => {
                    self.flow_pair(true)?;
                    pos += 1;
                }
                b'-' if is_blank(next) => {
                    if !self.in_flow() {
                        self.enter(pos, true)?;
                    }
                    pos += 1;
                }
                b'?' | b':' if self.in_flow() || is_blank(next) => {
                    if self.in_flow() {
                        self.flow_pair(false)?;
                    } else {
                        self.enter(key_col.unwrap_or(pos), false)?;
                    }
                    pos += 1;
                }
                b'&' | b'*' => {
                    // An anchor or alias name: ASCII letters, digits, `-`
                    // and `_` (libyaml's rule).
                    pos += 1;
                    while line
                        .get(pos)
                        .is_some_and(|&c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
                    {
                        pos += 1;
                    }
                }
                b'!' => {
                    // A tag runs to the next blank. Count the collections
                    // it might open, never those it might close.
                    while !is_blank(line.get(pos)) {
                        if matches!(line[pos], b'[' | b'{') {
                            self.open_flow(line[pos] == b'[')?;
                        }
                        pos += 1;
                    }
                }
                b'|' | b'>' if !self.in_flow() => {
                    self.carry = Carry::BlockScalar {
                        parent: self.parent(),
                        indent: block_scalar_indent(&line[pos + 1..], self.parent()),
                        leading: 0,
                    };
                    return Ok(());
                }
                b'\'' | b'"' => match quoted_end(line, pos + 1, b) {
                    Some(end) => pos = end,
                    None => {
                        self.carry = Carry::Quoted(b);
                        return Ok(());
                    }
                },
                _ => {
                    pos = self.plain(line, pos);
                }
            }
        }
    }

    /// Skips a plain scalar from `pos`: the position of the token after
    /// it, or the end of the line (then it may continue on the next).
    fn plain(&mut self, line: &[u8], mut pos: usize) -> usize {
        while let Some(&b) = line.get(pos) {
            let next = line.get(pos + 1);
            let ends = (b == b':'
                && (is_blank(next)
                    || (self.in_flow() && next.copied().is_some_and(is_flow_indicator))))
                || (self.in_flow() && is_flow_indicator(b))
                || (is_blank(Some(&b)) && next == Some(&b'#'));
            if ends {
                return pos;
            }
            pos += 1;
        }
        self.carry = Carry::Plain;
        pos
    }
}

/// The position after the closing `quote` of a scalar whose text starts at
/// `from`, or `None` when it does not close on this line.
fn quoted_end(line: &[u8], mut from: usize, quote: u8) -> Option<usize> {
    while let Some(&b) = line.get(from) {
        if quote == b'"' && b == b'\\' {
            from += 2;
        } else if b == quote {
            if quote == b'\'' && line.get(from + 1) == Some(&b'\'') {
                from += 2;
            } else {
                return Some(from + 1);
            }
        } else {
            from += 1;
        }
    }
    None
}

/// The content indentation a block scalar header (after `|` or `>`)
/// fixes, if it has an indentation indicator.
fn block_scalar_indent(header: &[u8], parent: isize) -> Option<usize> {
    let digit = header.iter().take(2).find(|b| (b'1'..=b'9').contains(b))?;
    let increment = isize::from(digit - b'0');
    let indent = if parent >= 0 {
        parent + increment
    } else {
        increment
    };
    usize::try_from(indent).ok()
}

#[cfg(test)]
mod tests;
