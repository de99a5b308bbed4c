//! The one reader of input-spike CSV, for a network file's `file =` and for
//! `spikefab ... --inputs`: rows `tick,axon` of two non-negative integers
//! (the axon counted within the input population for `file =`, across all
//! axons for `--inputs`), an optional header row `tick,axon` (or
//! `tick,index`), `#` comments and blank lines skipped, spaces around values
//! trimmed. Range checks against the network are the caller's.

/// A row that is not what the format says.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct CsvError {
    /// 1-based line of the text.
    pub line: u64,
    /// What is wrong.
    pub reason: String,
}

/// A field that must be a whole number (`tick`, `axon`): the number, or
/// what is wrong, naming the field.
pub fn whole_number(text: &str, name: &str) -> Result<u32, String> {
    text.parse::<u32>()
        .map_err(|_| format!("{name} `{text}` is not a whole number from 0 to {}", u32::MAX))
}

/// The `(tick, axon)` rows of `text`, in file order.
pub fn parse_spikes(text: &str) -> Result<Vec<(u32, u32)>, CsvError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut out = Vec::new();
    for (row, rec) in reader.records().enumerate() {
        let rec = rec.map_err(|e| CsvError {
            line: e.position().map_or(0, |p| p.line()),
            reason: e.to_string(),
        })?;
        let line = rec.position().map_or(row as u64 + 1, |p| p.line());
        let err = |reason: String| CsvError { line, reason };
        if rec.len() != 2 {
            return Err(err(format!("expected 2 columns (tick,axon), found {}", rec.len())));
        }
        if row == 0 && rec.iter().all(|f| f.parse::<f64>().is_err()) {
            if &rec[0] == "tick" && matches!(&rec[1], "axon" | "index") {
                continue;
            }
            return Err(err(format!(
                "the header must be `tick,axon` (or `tick,index`), found `{},{}`",
                &rec[0], &rec[1]
            )));
        }
        let field = |k: usize, name: &str| whole_number(&rec[k], name).map_err(err);
        out.push((field(0, "tick")?, field(1, "axon")?));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_headers_and_comments() {
        assert_eq!(
            parse_spikes("tick,axon\n0,1\n# x\n\n 3 , 4\n").unwrap(),
            vec![(0, 1), (3, 4)]
        );
        assert_eq!(parse_spikes("tick,index\n5,6\n").unwrap(), vec![(5, 6)]);
        assert_eq!(parse_spikes("7,8\n").unwrap(), vec![(7, 8)]);
        assert_eq!(parse_spikes("").unwrap(), vec![]);
    }

    #[test]
    fn errors_name_the_line() {
        let e = |t: &str| parse_spikes(t).unwrap_err().to_string();
        assert_eq!(
            e("tick,axon\n1,2\n3,x\n"),
            "line 3: axon `x` is not a whole number from 0 to 4294967295"
        );
        assert_eq!(
            e("1,2\n-3,4\n"),
            "line 2: tick `-3` is not a whole number from 0 to 4294967295"
        );
        assert_eq!(e("1,2\n3\n"), "line 2: expected 2 columns (tick,axon), found 1");
        assert_eq!(
            e("axon,tick\n1,2\n"),
            "line 1: the header must be `tick,axon` (or `tick,index`), found `axon,tick`"
        );
    }
}
