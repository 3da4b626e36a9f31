//! A TCP proxy in front of the archive's DICOM port that drops its first connection after a
//! number of bytes from the client (an association lost in the middle of an instance), and
//! passes every later connection whole. It counts the connections it accepted.
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;

/// The proxy's port and its count of connections.
pub struct DroppingProxy {
    pub port: u16,
    connections: Arc<AtomicUsize>,
}

impl DroppingProxy {
    /// Listens on a free loopback port, forwarding to `upstream_port`; the first connection is
    /// cut after `cut_after` bytes from the client.
    pub fn start(upstream_port: u16, cut_after: usize) -> DroppingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let port = listener.local_addr().expect("address").port();
        let connections = Arc::new(AtomicUsize::new(0));
        let counter = connections.clone();
        // The accepting thread lives as long as the test process (it blocks in accept).
        thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { return };
                let n = counter.fetch_add(1, Ordering::SeqCst);
                let limit = if n == 0 { cut_after } else { usize::MAX };
                let Ok(server) = TcpStream::connect(("127.0.0.1", upstream_port)) else {
                    return;
                };
                pipe(client, server, limit);
            }
        });
        DroppingProxy { port, connections }
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

/// Copies both ways; after `limit` bytes from the client, both sockets are shut down.
fn pipe(client: TcpStream, server: TcpStream, limit: usize) {
    let (mut c_read, mut s_write) = (
        client.try_clone().expect("clone"),
        server.try_clone().expect("clone"),
    );
    let (mut s_read, mut c_write) = (server, client);
    thread::spawn(move || {
        let mut buf = [0u8; 16 << 10];
        let mut passed = 0usize;
        while let Ok(n) = c_read.read(&mut buf) {
            let room = limit - passed;
            let take = n.min(room);
            if n == 0 || s_write.write_all(&buf[..take]).is_err() || take < n {
                break;
            }
            passed += take;
        }
        let _ = c_read.shutdown(Shutdown::Both);
        let _ = s_write.shutdown(Shutdown::Both);
    });
    thread::spawn(move || {
        let _ = std::io::copy(&mut s_read, &mut c_write);
        let _ = c_write.shutdown(Shutdown::Both);
    });
}
