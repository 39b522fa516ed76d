/// Starts users a bounded number at a time, so thousands of connects do not overflow the
/// server's listen backlog (which would stall them for a SYN retry of a second or more).
final class UserLauncher {
    private let users: [ChatUser]
    private let factory: ConnectionFactory
    private let concurrency: Int
    private var nextIndex = 0
    private var inProgress = 0
    /// Users that finished setting up, either way.
    private(set) var settled = 0

    /// A launcher for `users`, at most `concurrency` setting up at once.
    init(users: [ChatUser], factory: ConnectionFactory, concurrency: Int) {
        self.users = users
        self.factory = factory
        self.concurrency = max(1, concurrency)
    }

    /// Whether every user has finished setting up (ready or failed).
    var isDone: Bool { self.settled == self.users.count }

    /// Starts as many users as the concurrency allows.
    func startMore() {
        while self.inProgress < self.concurrency && self.nextIndex < self.users.count {
            let user = self.users[self.nextIndex]
            self.nextIndex += 1
            self.inProgress += 1
            user.start(using: self.factory)
        }
    }

    /// Records that one user finished setting up, and starts the next.
    func userSettled() {
        self.inProgress -= 1
        self.settled += 1
        self.startMore()
    }
}
