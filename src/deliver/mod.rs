//! Delivery into an archive or a store, the pure part shared by the shells (no I/O, no clock):
//! the ETag an S3 store gives an upload ([`s3_etag`]).

pub mod s3_etag;
