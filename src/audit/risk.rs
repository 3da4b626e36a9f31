//! Re-identification risk of what the run keeps: k-anonymity of the patients over the
//! quasi-identifiers the options retain. Each patient is described by the generalised values of
//! those attributes (ages in 5-year bins, sizes to 0.1 m, weights in 10 kg bins, birth dates by
//! year); patients with equal descriptions form a class; k is the size of the smallest class, and
//! a patient alone in a class is unique. For each unique patient, an attribute "makes them
//! unique" when leaving it out puts them in a class with others.

use std::collections::BTreeMap;

use serde::Serialize;

/// One patient's description: retained quasi-identifier → generalised value (absent: empty).
pub type Description = BTreeMap<String, String>;

/// The risk figures of a batch.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Risk {
    /// The quasi-identifiers the options retain (in the descriptions).
    pub quasi_identifiers: Vec<String>,
    /// Patients described.
    pub patients: usize,
    /// Classes of equal descriptions.
    pub classes: usize,
    /// The smallest class (0 without patients).
    pub k: usize,
    /// Patients alone in their class.
    pub unique_patients: usize,
    /// For the unique patients: how many are made unique by each attribute (leaving it out
    /// puts them with others); `(combination)` when no single attribute does.
    pub unique_by: BTreeMap<String, usize>,
}

/// A value as the risk counts it: generalised so that near values fall together.
pub fn generalise(keyword: &str, value: &str) -> String {
    let v = value.trim();
    let num = |s: &str| s.trim().parse::<f64>().ok().filter(|f| f.is_finite());
    match keyword {
        "PatientAge" => {
            let (n, unit) = v.split_at(v.len().saturating_sub(1));
            match n.parse::<u32>() {
                Ok(n) if unit == "Y" => format!("{}-{}Y", n / 5 * 5, n / 5 * 5 + 4),
                Ok(_) => format!("<1Y ({unit})"),
                Err(_) => v.to_string(),
            }
        }
        "PatientSize" => num(v).map_or(v.to_string(), |m| format!("{:.1} m", m)),
        "PatientWeight" => num(v).map_or(v.to_string(), |kg| {
            let b = (kg / 10.0).floor() as i64 * 10;
            format!("{b}-{} kg", b + 9)
        }),
        "PatientBirthDate" => v.get(..4).unwrap_or(v).to_string(),
        _ => v.to_uppercase(),
    }
}

fn key_without(d: &Description, qis: &[String], left_out: Option<&str>) -> Vec<String> {
    qis.iter()
        .filter(|q| Some(q.as_str()) != left_out)
        .map(|q| d.get(q).cloned().unwrap_or_default())
        .collect()
}

fn class_sizes(
    patients: &[Description],
    qis: &[String],
    left_out: Option<&str>,
) -> BTreeMap<Vec<String>, usize> {
    let mut sizes = BTreeMap::new();
    for d in patients {
        *sizes.entry(key_without(d, qis, left_out)).or_insert(0) += 1;
    }
    sizes
}

/// The risk figures of patients described over `qis`.
pub fn k_anonymity(patients: &[Description], qis: &[String]) -> Risk {
    let sizes = class_sizes(patients, qis, None);
    let without: Vec<(&String, BTreeMap<Vec<String>, usize>)> = qis
        .iter()
        .map(|q| (q, class_sizes(patients, qis, Some(q))))
        .collect();
    let mut unique_by: BTreeMap<String, usize> = BTreeMap::new();
    let mut unique = 0;
    for d in patients {
        if sizes.get(&key_without(d, qis, None)).copied().unwrap_or(0) != 1 {
            continue;
        }
        unique += 1;
        let mut any = false;
        for (q, s) in &without {
            if s.get(&key_without(d, qis, Some(q))).copied().unwrap_or(0) > 1 {
                *unique_by.entry((*q).clone()).or_insert(0) += 1;
                any = true;
            }
        }
        if !any {
            *unique_by.entry("(combination)".into()).or_insert(0) += 1;
        }
    }
    Risk {
        quasi_identifiers: qis.to_vec(),
        patients: patients.len(),
        classes: sizes.len(),
        k: sizes.values().copied().min().unwrap_or(0),
        unique_patients: unique,
        unique_by,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(pairs: &[(&str, &str)]) -> Description {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), generalise(k, v)))
            .collect()
    }

    /// Ten patients built to have three unique ones: one by sex, one by age bin, one by the two
    /// together; the others in classes of 2 and more.
    #[test]
    fn a_batch_with_three_unique_patients_is_counted_and_explained() {
        let qis: Vec<String> = ["PatientSex", "PatientAge"].map(String::from).to_vec();
        let mut p = Vec::new();
        for _ in 0..3 {
            p.push(d(&[("PatientSex", "F"), ("PatientAge", "061Y")]));
        }
        for _ in 0..2 {
            p.push(d(&[("PatientSex", "M"), ("PatientAge", "062Y")]));
        }
        p.push(d(&[("PatientSex", "M"), ("PatientAge", "064Y")])); // same bin: not unique
        p.push(d(&[("PatientSex", "O"), ("PatientAge", "060Y")])); // unique by sex
        p.push(d(&[("PatientSex", "F"), ("PatientAge", "030Y")])); // unique by age
        p.push(d(&[("PatientSex", "U"), ("PatientAge", "090Y")])); // unique by both
        p.push(d(&[("PatientSex", "f"), ("PatientAge", "063Y")])); // case folded: with F 60-64
        let r = k_anonymity(&p, &qis);
        assert_eq!(r.patients, 10);
        assert_eq!(r.unique_patients, 3);
        assert_eq!(r.k, 1);
        assert_eq!(r.classes, 5);
        assert_eq!(r.unique_by.get("PatientSex"), Some(&1));
        assert_eq!(r.unique_by.get("PatientAge"), Some(&1));
        assert_eq!(r.unique_by.get("(combination)"), Some(&1));
        // Without the unique ones, k is the smallest class left.
        let r = k_anonymity(&p[..6], &qis);
        assert_eq!((r.k, r.unique_patients, r.classes), (3, 0, 2));
    }

    #[test]
    fn values_are_generalised_into_bins() {
        assert_eq!(generalise("PatientAge", "047Y"), "45-49Y");
        assert_eq!(generalise("PatientWeight", "72.5"), "70-79 kg");
        assert_eq!(generalise("PatientSize", "1.764"), "1.8 m");
        assert_eq!(generalise("PatientBirthDate", "19610314"), "1961");
    }
}
