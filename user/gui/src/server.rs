//! The display server: a thread of the root task holding the framebuffer's and the
//! input device's mappings and the input interrupt (its notification bound to this
//! thread), serving clients' Calls on one endpoint whose badge names the client. Every
//! request passes the protocol's decoder first (selvm_gui_protocol::decode), then the
//! checks that need the server's state; anything wrong is answered with an error
//! label and changes nothing.

use crate::devices::Devices;
use crate::layout::{IRQ_BADGE, LAUNCHER_BADGE, MAX_CLIENTS, WINDOW_PAGES, client_of};
use libsel4::{CPtr, MessageInfo, Word, ipc, irq};
use sel4rt::PAGE_SIZE;
use selvm_gui_protocol::geometry::frame;
use selvm_gui_protocol::{ErrorCode, Event, Rect, Request, Sender, decode, event};

/// Events queued per client.
const QUEUE: usize = 32;

/// What the server knows of one client slot.
pub struct Client {
    /// Where its window frames are mapped in this VSpace.
    pub pixels: usize,
    /// The notification it waits on (a root CPtr).
    pub notification: CPtr,
    /// Its window's content rectangle, once created.
    pub window: Option<Rect>,
    /// Its window's title.
    pub title: [u8; 8],
    queue: [Event; QUEUE],
    head: usize,
    len: usize,
}

impl Client {
    /// A slot with no window yet.
    pub fn new(pixels: usize, notification: CPtr) -> Client {
        Client {
            pixels,
            notification,
            window: None,
            title: [0; 8],
            queue: [Event::default(); QUEUE],
            head: 0,
            len: 0,
        }
    }
}

/// The server's state.
pub struct Server {
    /// The devices.
    pub dev: Devices,
    /// The endpoint clients and the launcher call (a root CPtr).
    pub ep: CPtr,
    /// The input interrupt's handler.
    pub irq: CPtr,
    /// Client slots.
    pub clients: [Client; MAX_CLIENTS],
    /// Clients with a window, bottom to top (the top one has the focus).
    pub z: [usize; MAX_CLIENTS],
    /// How many of `z` are used.
    pub zlen: usize,
    /// The window being dragged: its client and where the pointer grabbed it.
    pub drag: Option<(usize, i32, i32)>,
    /// The window a button was pressed in: it gets the pointer until the release.
    pub capture: Option<usize>,
}

/// The server thread's entry: `arg` is the address of its [`Server`].
pub extern "C" fn run(arg: u64) {
    // SAFETY: the launcher wrote a Server at `arg` in memory it mapped for it and
    // touches it no more; this thread is its only user from here on.
    let s = unsafe { &mut *(arg as usize as *mut Server) };
    let all = Rect::new(0, 0, s.dev.width, s.dev.height);
    s.redraw(all);
    let (mut info, mut badge) = libsel4::recv(s.ep);
    loop {
        if badge & IRQ_BADGE != 0 {
            while let Some(words) = s.dev.next_input() {
                s.input(words);
            }
            let _ = irq::handler_ack(s.irq);
            (info, badge) = libsel4::recv(s.ep);
            continue;
        }
        let reply = s.request(info, badge);
        (info, badge) = libsel4::reply_recv(s.ep, reply);
    }
}

fn reply(label: Word, length: usize) -> MessageInfo {
    MessageInfo::new(label, 0, 0, length as Word).unwrap_or(MessageInfo::from_word_clamped(0))
}

impl Server {
    /// Answers the request `info` that came with `badge`: the reply's MessageInfo
    /// (its registers already set).
    fn request(&mut self, info: MessageInfo, badge: Word) -> MessageInfo {
        match self.serve(info, badge) {
            Ok(length) => reply(0, length),
            Err(e) => reply(e.word(), 0),
        }
    }

    fn serve(&mut self, info: MessageInfo, badge: Word) -> Result<usize, ErrorCode> {
        let sender = match (badge, client_of(badge)) {
            (LAUNCHER_BADGE, _) => Sender::Launcher,
            (_, Some(c)) => Sender::Client(c as Word),
            _ => return Err(ErrorCode::BadClient),
        };
        let mut mrs = [0; 5];
        let given = info.length().min(mrs.len());
        for (i, m) in mrs.iter_mut().take(given).enumerate() {
            *m = ipc::get_mr(i);
        }
        let request = decode(
            sender,
            info.label(),
            info.length(),
            info.extra_caps() as Word,
            &mrs[..given],
        )?;
        // The decoder lets the launcher send only CLIENT_GONE, which names its client.
        let c = match sender {
            Sender::Client(c) => c as usize,
            Sender::Launcher => 0,
        };
        match request {
            Request::CreateWindow {
                x,
                y,
                width,
                height,
                title,
            } => {
                let client = &mut self.clients[c];
                if client.window.is_some() {
                    return Err(ErrorCode::HasWindow);
                }
                if width as usize * height as usize * 4 > WINDOW_PAGES * PAGE_SIZE {
                    return Err(ErrorCode::TooBigForFrame);
                }
                let content = Rect::new(x, y, width, height);
                (client.window, client.title) = (Some(content), title);
                self.raise_and_redraw(c);
                Ok(0)
            }
            Request::Damage(r) => {
                let content = self.clients[c].window.ok_or(ErrorCode::NoWindow)?;
                if !r.within(content.w, content.h) {
                    return Err(ErrorCode::BadGeometry);
                }
                self.redraw(r.offset(content.x, content.y));
                Ok(0)
            }
            Request::CloseWindow => {
                self.clients[c].window.ok_or(ErrorCode::NoWindow)?;
                self.remove(c);
                Ok(0)
            }
            Request::NextEvent => {
                let e = self.pop(c).unwrap_or_default();
                e.words()
                    .iter()
                    .enumerate()
                    .for_each(|(i, &w)| ipc::set_mr(i, w));
                Ok(e.words().len())
            }
            Request::ClientGone(n) => {
                let gone = client_of(n).ok_or(ErrorCode::BadClient)?;
                self.remove(gone);
                let client = &mut self.clients[gone];
                (client.head, client.len) = (0, 0);
                Ok(0)
            }
        }
    }

    /// The client whose window is on top (it has the focus).
    pub fn top(&self) -> Option<usize> {
        self.zlen.checked_sub(1).map(|i| self.z[i])
    }

    /// Puts client `c`'s window on top.
    pub fn raise(&mut self, c: usize) {
        let at = self.z[..self.zlen].iter().position(|&z| z == c);
        if let Some(i) = at {
            self.z.copy_within(i + 1..self.zlen, i);
            self.zlen -= 1;
        }
        self.z[self.zlen] = c;
        self.zlen += 1;
    }

    /// Puts client `c`'s window on top and redraws it and the window that had the
    /// focus before (its title bar changes colour).
    pub fn raise_and_redraw(&mut self, c: usize) {
        let old = self
            .top()
            .filter(|&t| t != c)
            .and_then(|t| self.clients[t].window);
        self.raise(c);
        if let Some(content) = self.clients[c].window {
            self.redraw(frame(&content));
        }
        if let Some(old) = old {
            self.redraw(frame(&old));
        }
    }

    /// Takes client `c`'s window away (redrawing what it covered) and ends a drag or
    /// capture of it.
    fn remove(&mut self, c: usize) {
        let Some(content) = self.clients[c].window.take() else {
            return;
        };
        if let Some(i) = self.z[..self.zlen].iter().position(|&z| z == c) {
            self.z.copy_within(i + 1..self.zlen, i);
            self.zlen -= 1;
        }
        if self.drag.is_some_and(|(d, ..)| d == c) {
            self.drag = None;
        }
        if self.capture == Some(c) {
            self.capture = None;
        }
        self.redraw(frame(&content));
        // The new top window's title bar shows the focus.
        if let Some(t) = self.top().and_then(|t| self.clients[t].window) {
            self.redraw(frame(&t));
        }
    }

    /// Queues `e` for client `c` (a pointer move replaces a queued one at the end when
    /// the queue is full; anything else is then dropped) and signals it.
    pub fn push(&mut self, c: usize, e: Event) {
        let client = &mut self.clients[c];
        if client.len == QUEUE {
            let last = (client.head + QUEUE - 1) % QUEUE;
            if e.kind == event::POINTER_MOVE && client.queue[last].kind == e.kind {
                client.queue[last] = e;
            }
        } else {
            client.queue[(client.head + client.len) % QUEUE] = e;
            client.len += 1;
        }
        libsel4::signal(client.notification);
    }

    fn pop(&mut self, c: usize) -> Option<Event> {
        let client = &mut self.clients[c];
        if client.len == 0 {
            return None;
        }
        let e = client.queue[client.head];
        client.head = (client.head + 1) % QUEUE;
        client.len -= 1;
        Some(e)
    }
}
