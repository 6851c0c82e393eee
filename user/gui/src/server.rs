//! The display server: a process of its own (forked from the root task) whose VSpace
//! alone maps the framebuffer, the input device and the clients' window frames, and
//! whose CSpace holds its endpoint, the input interrupt (its notification bound to
//! this thread) and the clients' notifications; it serves clients' Calls on one
//! endpoint whose badge names the client. Every request passes the protocol's decoder
//! first (selvm_gui_protocol::decode), then the checks that need the server's state;
//! anything wrong is answered with an error label and changes nothing. Window management (stacking, focus, dragging, capture,
//! what input goes where) is selvm_gui_protocol::desk, which the host tests; this
//! thread carries out what it decides.

use crate::devices::Devices;
use crate::layout::{IRQ_BADGE, KEY_QUIT, LAUNCHER_BADGE, MAX_CLIENTS, WINDOW_PAGES, client_of};
use crate::print::{Part::*, line};
use libsel4::{CPtr, MessageInfo, Word, ipc, irq};
use sel4rt::PAGE_SIZE;
use selvm_gui_protocol::desk::{Action, Actions, Desk};
use selvm_gui_protocol::{ErrorCode, Event, Rect, Request, Sender, decode, event};

/// Events queued per client.
const QUEUE: usize = 32;

/// What the server knows of one client slot.
pub struct Client {
    /// Where its window frames are mapped in this VSpace.
    pub pixels: usize,
    /// The notification it waits on (a root CPtr).
    pub notification: CPtr,
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
    /// The windows: where they are, their stacking and focus, drag and capture.
    pub desk: Desk<MAX_CLIENTS>,
}

/// The server process's entry: `arg` is the address of its [`Server`] (its copy of the
/// launcher's, made by the fork).
pub extern "C" fn run(arg: u64) {
    // SAFETY: `arg` points at the Server the launcher built in the frame that forked
    // this process; the fork copied that memory into this VSpace, where nothing else
    // runs, so this thread is its only user.
    let s = unsafe { &mut *(arg as usize as *mut Server) };
    let all = Rect::new(0, 0, s.dev.width, s.dev.height);
    s.redraw(all);
    let (mut info, mut badge) = libsel4::recv(s.ep);
    loop {
        if badge & IRQ_BADGE != 0 {
            while let Some(words) = s.dev.next_input() {
                let actions = s.desk.input(words, KEY_QUIT);
                s.apply(actions);
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
                if self.desk.window(c).is_some() {
                    return Err(ErrorCode::HasWindow);
                }
                if width as usize * height as usize * 4 > WINDOW_PAGES * PAGE_SIZE {
                    return Err(ErrorCode::TooBigForFrame);
                }
                self.clients[c].title = title;
                let actions = self.desk.open(c, Rect::new(x, y, width, height));
                self.apply(actions);
                Ok(0)
            }
            Request::Damage(r) => {
                let content = self.desk.window(c).ok_or(ErrorCode::NoWindow)?;
                if !r.within(content.w, content.h) {
                    return Err(ErrorCode::BadGeometry);
                }
                self.redraw(r.offset(content.x, content.y));
                Ok(0)
            }
            Request::CloseWindow => {
                self.desk.window(c).ok_or(ErrorCode::NoWindow)?;
                let actions = self.desk.close(c);
                self.apply(actions);
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
                let actions = self.desk.close(gone);
                self.apply(actions);
                let client = &mut self.clients[gone];
                (client.head, client.len) = (0, 0);
                Ok(0)
            }
        }
    }

    /// Carries out what the window management decided.
    fn apply(&mut self, actions: Actions) {
        for a in actions.iter() {
            match a {
                Action::Redraw(r) => self.redraw(r),
                Action::Deliver(c, e) => self.push(c, e),
                Action::Quit => {
                    line(&[T("gui: F10 pressed, shutting down")]);
                    libsel4::debug_halt_status(0);
                }
            }
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
