//! A real archive for the delivery tests: Debian's Orthanc with its DICOMweb plugin, started on
//! loopback with a temporary storage folder and free ports, stopped (killed) on drop. It is
//! read back through its REST API with `curl` (an independent client): the instances it holds
//! and the bytes of each stored file.
use super::harness::TempDir;
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The plugin Debian's `orthanc-dicomweb` installs (STOW-RS, QIDO-RS, WADO-RS).
pub const DICOMWEB_PLUGIN: &str = "/usr/share/orthanc/plugins/libOrthancDicomWeb.so";
/// The called AE title of the test archive.
pub const AE_TITLE: &str = "DEIDTEST";

/// A running Orthanc; killed, and its folder removed, on drop.
pub struct Orthanc {
    child: Child,
    dir: TempDir,
    /// Port of the REST API and of DICOMweb (`/dicom-web/`).
    pub http_port: u16,
    /// Port of the DICOM (DIMSE) service: C-STORE, C-ECHO.
    pub dicom_port: u16,
}

/// A port that was free a moment ago (bound to port 0, then released).
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local address").port()
}

impl Orthanc {
    /// Starts Orthanc with DICOMweb on, no authentication, loopback only; waits until its REST
    /// API answers (30 s at most).
    pub fn start(label: &str) -> Orthanc {
        Orthanc::start_with(label, serde_json::json!({}))
    }

    /// Like [`Orthanc::start`], with `extra`'s keys (options of the installed Orthanc, such as
    /// `AcceptedTransferSyntaxes`, `UnknownSopClassAccepted`, `LuaScripts`) set over the
    /// configuration.
    pub fn start_with(label: &str, extra: serde_json::Value) -> Orthanc {
        let dir = TempDir::new(&format!("orthanc-{label}"));
        let http_port = free_port();
        let dicom_port = free_port();
        let mut config = serde_json::json!({
            "Name": format!("dicom-deid tests ({label})"),
            "StorageDirectory": dir.join("storage"),
            "IndexDirectory": dir.join("index"),
            "HttpPort": http_port,
            "DicomPort": dicom_port,
            "DicomAet": AE_TITLE,
            "DicomCheckCalledAet": true,
            "DicomAlwaysAllowStore": true,
            "RemoteAccessAllowed": false,
            "AuthenticationEnabled": false,
            "StorageCompression": false,
            "OverwriteInstances": false,
            "UnknownSopClassAccepted": true,
            "HttpServerThreads": 4,
            "Plugins": [DICOMWEB_PLUGIN],
            "DicomWeb": { "Enable": true, "Root": "/dicom-web/" },
        });
        if let (Some(config), Some(extra)) = (config.as_object_mut(), extra.as_object()) {
            config.extend(extra.clone());
        }
        let config_path = dir.join("orthanc.json");
        std::fs::write(
            &config_path,
            serde_json::to_vec_pretty(&config).expect("json"),
        )
        .expect("write Orthanc's configuration");
        let log = std::fs::File::create(dir.join("orthanc.log")).expect("Orthanc's log");
        let child = Command::new("Orthanc")
            .arg(&config_path)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start Orthanc (Debian package orthanc, installed by scripts/setup.sh)");
        let orthanc = Orthanc {
            child,
            dir,
            http_port,
            dicom_port,
        };
        orthanc.wait_ready();
        orthanc
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if TcpStream::connect(("127.0.0.1", self.http_port)).is_ok()
                && self.try_get("/system").is_some()
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!(
            "Orthanc did not answer within 30 s; its log:\n{}",
            self.log()
        );
    }

    /// The base URL of the REST API, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.http_port)
    }

    /// The DICOMweb root (STOW-RS posts to `{root}/studies`).
    pub fn dicomweb_url(&self) -> String {
        format!("{}/dicom-web", self.url())
    }

    /// What Orthanc wrote to its log so far (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("orthanc.log")).unwrap_or_default()
    }

    /// Orthanc's own folder (its configuration, storage and log).
    pub fn dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    fn try_get(&self, path: &str) -> Option<Vec<u8>> {
        let out = Command::new("curl")
            .args(["-sS", "--fail", "--max-time", "30"])
            .arg(format!("{}{}", self.url(), path))
            .output()
            .ok()?;
        out.status.success().then_some(out.stdout)
    }

    /// GET a REST path (panics, with Orthanc's log, when it fails).
    pub fn get(&self, path: &str) -> Vec<u8> {
        self.try_get(path)
            .unwrap_or_else(|| panic!("GET {path} failed; Orthanc's log:\n{}", self.log()))
    }

    /// GET a REST path and parse it as JSON.
    pub fn get_json(&self, path: &str) -> serde_json::Value {
        serde_json::from_slice(&self.get(path)).expect("Orthanc answers JSON")
    }

    /// GET a REST path that answers a JSON array of strings.
    fn get_strings(&self, path: &str) -> Vec<String> {
        let list = self.get_json(path);
        list.as_array()
            .unwrap_or_else(|| panic!("GET {path}: a JSON array"))
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect()
    }

    /// The transfer syntaxes its C-STORE service accepts, as it reports them.
    pub fn accepted_transfer_syntaxes(&self) -> Vec<String> {
        self.get_strings("/tools/accepted-transfer-syntaxes")
    }

    /// Orthanc's identifiers of the instances it holds.
    pub fn instance_ids(&self) -> Vec<String> {
        self.get_strings("/instances")
    }

    /// The bytes of every stored file (as Orthanc returns them), sorted, for comparing the set
    /// Orthanc holds with the set the zip holds.
    pub fn stored_files(&self) -> Vec<Vec<u8>> {
        let mut files: Vec<Vec<u8>> = self
            .instance_ids()
            .iter()
            .map(|id| self.get(&format!("/instances/{id}/file")))
            .collect();
        files.sort();
        files
    }

    /// How many instances Orthanc has received in all, counting a second store of the same
    /// instance (its `/statistics` counts what it holds; the changes log counts each store).
    pub fn stored_count(&self) -> usize {
        let changes = self.get_json("/changes?limit=100000");
        changes["Changes"]
            .as_array()
            .map(|c| {
                c.iter()
                    .filter(|e| e["ChangeType"] == "NewInstance")
                    .count()
            })
            .unwrap_or(0)
    }
}

impl Drop for Orthanc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
