package herald

// The operations of a Publisher, as every network names them in Error.Op.
const (
	OpPublish    = "create post"
	OpFind       = "find post"
	OpEngagement = "read engagement"
	OpDelete     = "delete post"
	OpCheck      = "check account"
)
