//! Changes to a network file given on the command line (`--set
//! PATH=VALUE`, `--seed N`), so that a parameter sweep is a shell loop over
//! one file. They are applied to the file's tree before it is read, so a
//! changed value is checked exactly as one written in the file.
//!
//! `PATH` is a dotted list of keys as the file writes them: `simulation.ticks`,
//! `learning.a_plus`, `population.exc.neuron.threshold`. An array of tables
//! (`[[population]]`, `[[input]]`, `[[projection]]`) takes an element's
//! `name` or its index from 0: `projection.1.weight`. `VALUE` is a TOML value
//! (`310`, `-2`, `true`, `"exc"`, `{ uniform = [40, 110], seed = 3 }`,
//! `[[0, 1], [4, 2]]`); a bare word that is not one is taken as a string.

use serde_json::{Map, Value};

use super::error::ConfigError;

/// Why a path has no keys to follow.
const EMPTY_KEY: &str = "an empty key in the path (keys are separated by single dots)";

/// The keys of a dotted path; none if one is empty.
fn keys(path: &str) -> Option<Vec<String>> {
    let keys: Vec<String> = path.trim().split('.').map(|k| k.trim().to_string()).collect();
    (!keys.iter().any(String::is_empty)).then_some(keys)
}

/// One change: the path and the new value.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting {
    /// As given, for messages.
    pub text: String,
    /// The keys (names or indices for arrays of tables).
    pub path: Vec<String>,
    /// The value.
    pub value: Value,
}

impl Setting {
    /// Parse `PATH=VALUE`.
    pub fn parse(text: &str) -> Result<Setting, ConfigError> {
        let bad = |reason: &str| ConfigError::Setting {
            setting: text.to_string(),
            reason: reason.to_string(),
        };
        let (path, value) = text
            .split_once('=')
            .ok_or_else(|| bad("expected PATH=VALUE, e.g. population.exc.neuron.threshold=310"))?;
        let path = keys(path).ok_or_else(|| bad(EMPTY_KEY))?;
        let value = value.trim();
        if value.is_empty() {
            return Err(bad("no value after `=`"));
        }
        // A TOML value, read as the right-hand side of a key.
        let value = match toml::from_str::<toml::Table>(&format!("v = {value}")) {
            Ok(mut t) => serde_json::to_value(t.remove("v").expect("the key just written"))
                .map_err(|e| bad(&format!("the value cannot be used: {e}")))?,
            Err(_) => Value::String(value.to_string()),
        };
        Ok(Setting {
            text: text.to_string(),
            path,
            value,
        })
    }

    /// The change of the value at the dotted `path` to `value` (a value
    /// given as data, as the Python package's settings are, rather than as
    /// TOML text).
    pub fn new(path: &str, value: Value) -> Result<Setting, ConfigError> {
        let text = format!("{path}={value}");
        match keys(path) {
            Some(path) => Ok(Setting { text, path, value }),
            None => Err(ConfigError::Setting {
                setting: text,
                reason: EMPTY_KEY.to_string(),
            }),
        }
    }

    /// `--seed`: the `[simulation]` seed every unseeded random choice of
    /// the file derives from.
    pub fn seed(seed: u64) -> Setting {
        Setting {
            text: format!("simulation.seed={seed} (--seed)"),
            path: vec!["simulation".into(), "seed".into()],
            value: Value::from(seed),
        }
    }

    /// Apply the change to a file's tree (its top level a table). Missing
    /// tables on the way are made; an array element is found by its `name`
    /// or index.
    pub fn apply(&self, tree: &mut Value) -> Result<(), ConfigError> {
        let fail = |reason: String| ConfigError::Setting {
            setting: self.text.clone(),
            reason,
        };
        let mut node = tree;
        for (depth, key) in self.path.iter().enumerate() {
            let last = depth + 1 == self.path.len();
            let at = self.path[..depth].join(".");
            node = match node {
                Value::Object(map) => {
                    if last {
                        map.insert(key.clone(), self.value.clone());
                        return Ok(());
                    }
                    map.entry(key.clone()).or_insert_with(|| Value::Object(Map::new()))
                }
                Value::Array(items) => {
                    let found = match key.parse::<usize>() {
                        Ok(i) => (i < items.len()).then_some(i),
                        Err(_) => items
                            .iter()
                            .position(|e| e.get("name").and_then(Value::as_str) == Some(key)),
                    };
                    let Some(i) = found else {
                        let names: Vec<String> = items
                            .iter()
                            .enumerate()
                            .map(|(i, e)| match e.get("name").and_then(Value::as_str) {
                                Some(n) => format!("{i} ({n})"),
                                None => i.to_string(),
                            })
                            .collect();
                        return Err(fail(format!(
                            "`{at}` has no element `{key}`; its elements: {}",
                            if names.is_empty() {
                                "none".to_string()
                            } else {
                                names.join(", ")
                            }
                        )));
                    };
                    if last {
                        items[i] = self.value.clone();
                        return Ok(());
                    }
                    &mut items[i]
                }
                _ => return Err(fail(format!("`{at}` is a value, not a table: it has no `{key}`"))),
            };
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tree() -> Value {
        json!({
            "simulation": { "ticks": 100 },
            "population": [ { "name": "exc", "size": 8, "neuron": { "threshold": 300 } }, { "name": "inh", "size": 2 } ],
            "projection": [ { "from": "exc", "to": "inh", "weight": 20 } ],
        })
    }

    #[test]
    fn paths_reach_tables_array_elements_by_name_or_index_and_new_tables() {
        let mut t = tree();
        for s in [
            "population.exc.neuron.threshold=310",
            "population.1.size = 4",
            "projection.0.weight={ uniform = [10, 30], seed = 3 }",
            "learning.a_plus=9",
            "simulation.ticks=7",
        ] {
            Setting::parse(s).unwrap().apply(&mut t).unwrap();
        }
        Setting::seed(42).apply(&mut t).unwrap();
        assert_eq!(t["population"][0]["neuron"]["threshold"], 310);
        assert_eq!(t["population"][1]["size"], 4);
        assert_eq!(t["projection"][0]["weight"], json!({ "uniform": [10, 30], "seed": 3 }));
        assert_eq!(t["learning"]["a_plus"], 9);
        assert_eq!(t["simulation"], json!({ "ticks": 7, "seed": 42 }));
    }

    #[test]
    fn settings_given_as_data_take_the_same_paths() {
        let mut t = tree();
        Setting::new("population.exc.size", json!(4))
            .unwrap()
            .apply(&mut t)
            .unwrap();
        assert_eq!(t["population"][0]["size"], 4);
        let e = Setting::new("population..size", json!(4)).unwrap_err().to_string();
        assert!(e.contains("population..size=4") && e.contains("empty key"), "{e}");
    }

    #[test]
    fn values_are_toml_or_else_strings() {
        let v = |s: &str| Setting::parse(&format!("a={s}")).unwrap().value;
        assert_eq!(v("-2"), json!(-2));
        assert_eq!(v("0.25"), json!(0.25));
        assert_eq!(v("true"), json!(true));
        assert_eq!(v("\"exc\""), json!("exc"));
        assert_eq!(v("exc"), json!("exc"));
        assert_eq!(v("[[0, 1], [4, 2]]"), json!([[0, 1], [4, 2]]));
    }

    #[test]
    fn bad_settings_name_the_problem() {
        let err = |s: &str| match Setting::parse(s).and_then(|x| x.apply(&mut tree())) {
            Err(e) => e.to_string(),
            Ok(()) => panic!("{s} was taken"),
        };
        assert_eq!(
            err("population.threshold"),
            "--set population.threshold: expected PATH=VALUE, e.g. population.exc.neuron.threshold=310"
        );
        assert_eq!(
            err("population..size=3"),
            "--set population..size=3: an empty key in the path (keys are separated by single dots)"
        );
        assert_eq!(err("simulation.ticks="), "--set simulation.ticks=: no value after `=`");
        assert_eq!(
            err("population.exd.size=3"),
            "--set population.exd.size=3: `population` has no element `exd`; its elements: 0 (exc), 1 (inh)"
        );
        assert_eq!(
            err("projection.2.weight=3"),
            "--set projection.2.weight=3: `projection` has no element `2`; its elements: 0"
        );
        assert_eq!(
            err("simulation.ticks.max=3"),
            "--set simulation.ticks.max=3: `simulation.ticks` is a value, not a table: it has no `max`"
        );
    }
}
