//! Path templates of mounted routes: `/api/v1/users/{id}/factors`, and a
//! trailing `*` for a prefix.

use percent_encoding::percent_decode_str;

use crate::error::Error;

/// One segment of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    /// Matches this segment (decoded) exactly.
    Literal(String),
    /// `{name}`: matches any one non-empty segment, kept as a parameter.
    Param(String),
    /// `*`, last: matches whatever follows, nothing included.
    Rest,
}

/// A parsed path template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Template {
    segments: Vec<Segment>,
}

impl Template {
    /// Parses `template`: an absolute path without query or fragment whose
    /// segments are literal, `{name}`, or (last) `*`.
    pub(crate) fn parse(template: &str) -> Result<Self, Error> {
        let bad = |why: &str| Error::Config(format!("route path {template:?} {why}"));
        let Some(rest) = template.strip_prefix('/') else {
            return Err(bad("must start with '/'"));
        };
        if template.contains(['?', '#']) {
            return Err(bad("must not have a query or fragment"));
        }
        let parts: Vec<&str> = rest.split('/').collect();
        let last = parts.len() - 1;
        let mut segments = Vec::with_capacity(parts.len());
        for (i, part) in parts.iter().enumerate() {
            let segment = if *part == "*" {
                if i != last {
                    return Err(bad("may have '*' only as its last segment"));
                }
                Segment::Rest
            } else if let Some(name) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                if name.is_empty() || name.contains(['{', '}']) {
                    return Err(bad("has a parameter without a name"));
                }
                Segment::Param(name.to_owned())
            } else if part.contains(['{', '}', '*']) {
                return Err(bad("mixes text with '{…}' or '*' in a segment"));
            } else {
                Segment::Literal(decode(part))
            };
            segments.push(segment);
        }
        Ok(Self { segments })
    }

    /// The parameters of `path` (as sent, percent-encoded) if it matches,
    /// decoded.
    pub(crate) fn matches(&self, path: &str) -> Option<Vec<(String, String)>> {
        let parts: Vec<&str> = path.strip_prefix('/')?.split('/').collect();
        let mut params = Vec::new();
        let mut parts = parts.into_iter();
        for segment in &self.segments {
            match segment {
                Segment::Rest => return Some(params),
                Segment::Literal(text) => {
                    if decode(parts.next()?) != *text {
                        return None;
                    }
                }
                Segment::Param(name) => {
                    let part = parts.next().filter(|p| !p.is_empty())?;
                    params.push((name.clone(), decode(part)));
                }
            }
        }
        parts.next().is_none().then_some(params)
    }
}

fn decode(segment: &str) -> String {
    percent_decode_str(segment).decode_utf8_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Template {
        Template::parse(s).unwrap()
    }

    #[test]
    fn literals_and_parameters_match_decoded_segments() {
        let factors = t("/api/v1/users/{id}/factors");
        assert_eq!(
            factors.matches("/api/v1/users/a%40b.com/factors"),
            Some(vec![("id".into(), "a@b.com".into())])
        );
        assert_eq!(factors.matches("/api/v1/users//factors"), None);
        assert_eq!(factors.matches("/api/v1/users/x/factors/y"), None);
        assert_eq!(factors.matches("/api/v1/users/x"), None);
        assert_eq!(t("/a%20b").matches("/a b"), Some(vec![]));
        assert_eq!(t("/exact").matches("/exact/"), None);
    }

    #[test]
    fn a_star_matches_the_rest_of_the_path() {
        let prefix = t("/api/v2/{kind}/*");
        assert!(prefix.matches("/api/v2/things").is_some());
        assert!(prefix.matches("/api/v2/things/1/2").is_some());
        assert!(prefix.matches("/api/v3/things").is_none());
    }

    #[test]
    fn malformed_templates_are_refused() {
        for bad in ["api/v1", "/a/*/b", "/a/{}", "/a/x{id}", "/a?b=1", "/a/**"] {
            assert!(Template::parse(bad).is_err(), "{bad}");
        }
    }
}
