//! The fault-injecting proxy of the delivery tests (`tests/support/fault_proxy.mjs`, Node)
//! started in front of an archive, stopped (killed) on drop; its counters read back as JSON.
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use super::harness::root;

/// A running proxy.
pub struct FaultProxy {
    child: Child,
    /// Its port on 127.0.0.1.
    pub port: u16,
}

impl FaultProxy {
    /// Starts the proxy in front of `target` (a base URL) with a fault schedule (the syntax of
    /// the script's header; empty for none).
    pub fn start(target: &str, faults: &str) -> FaultProxy {
        FaultProxy::start_on(target, faults, 0)
    }

    /// Like [`FaultProxy::start`], on a given port (0: a free one), e.g. the port of a proxy
    /// stopped before, so that the destination's URL stays the same.
    pub fn start_on(target: &str, faults: &str, port: u16) -> FaultProxy {
        let mut child = Command::new("node")
            .arg(root().join("tests/support/fault_proxy.mjs"))
            .args(["--target", target, "--faults", faults])
            .args(["--port", &port.to_string()])
            .stdout(Stdio::piped())
            .spawn()
            .expect("start node tests/support/fault_proxy.mjs");
        let mut line = String::new();
        let stdout = child.stdout.take().expect("the proxy's stdout");
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("the proxy prints its port");
        let port = line
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("the proxy's first line is its port, not {line:?}"));
        FaultProxy { child, port }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The counters (`GET /__proxy/stats`).
    pub fn stats(&self) -> serde_json::Value {
        let out = Command::new("curl")
            .args(["-sS", "--fail", "--max-time", "10"])
            .arg(format!("{}/__proxy/stats", self.url()))
            .output()
            .expect("curl");
        assert!(out.status.success(), "GET /__proxy/stats failed");
        serde_json::from_slice(&out.stdout).expect("the stats are JSON")
    }

    /// The SOP Instance UIDs of the bodies forwarded to the archive, in order.
    pub fn forwarded_uids(&self) -> Vec<String> {
        self.stats()["sopInstanceUids"]
            .as_array()
            .expect("an array")
            .iter()
            .map(|v| v.as_str().expect("a UID").to_string())
            .collect()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
