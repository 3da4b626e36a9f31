//! RSNA CTP compatibility: its pseudonym functions, and the importer of its DICOM anonymizer
//! scripts (the XML `<script>` and the `.properties` form) into a recipe and an import report.

pub mod convert;
pub mod expr;
pub mod functions;
pub mod import;
pub mod script;
