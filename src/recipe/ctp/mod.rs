//! RSNA CTP compatibility: its pseudonym functions, and the importer of its DICOM anonymizer
//! scripts (the XML `<script>` and the `.properties` form).

pub mod expr;
pub mod functions;
pub mod script;
