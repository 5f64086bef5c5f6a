//! One student-level record (`spec/data.md`) as the streaming reader hands
//! it to the longitudinal aggregation: ids borrowed from the input.

/// Race codes of the student records that the model's predictors use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Race {
    Black,
    Hispanic,
    Asian,
    Other,
}

/// One parsed student record; ids are borrowed from the input.
#[derive(Clone, Copy, Debug)]
pub struct StudentRecord<'a> {
    pub student: u64,
    pub year: u16,
    /// 15-character RCDTS as bytes.
    pub school: &'a [u8],
    /// The school's district, as the records name it.
    pub district: &'a [u8],
    pub grade: u8,
    pub subject: &'a [u8],
    pub scale_score: Option<f64>,
    pub performance_level: Option<u8>,
    pub low_income: bool,
    pub el: bool,
    pub race: Race,
    /// Byte offset of the record in its file, to name its line in messages.
    pub offset: u64,
}
