package client

import (
	"context"
	"net/http"

	"github.com/data8-toolkit/data8/gen"
)

// sendFunc makes one attempt of an operation through the generated client (call.send).
type sendFunc = func(ctx context.Context, edit gen.RequestEditorFn) (*http.Response, error)

// idempotent makes a call of op that may be repeated after a 500 as after any other failure a retry
// may cure (a GET, or a PUT that sets a state), and returns its answer's body.
func (c *Client) idempotent(ctx context.Context, op string, send sendFunc) ([]byte, error) {
	return c.do(ctx, call{op: op, retry500: true, send: send})
}

// get makes a read-only call of op (see idempotent) and decodes the one model its answer must carry.
func get[T any](ctx context.Context, c *Client, op string, send sendFunc) (*T, error) {
	body, err := c.idempotent(ctx, op, send)
	if err != nil {
		return nil, err
	}
	return decodeOne[T](op, body)
}

// getList makes a read-only call of op (see idempotent) whose answer is a JSON array; a 2xx without a body
// is an empty list.
func getList[T any](ctx context.Context, c *Client, op string, send sendFunc) ([]T, error) {
	body, err := c.idempotent(ctx, op, send)
	if err != nil {
		return nil, err
	}
	var out []T
	if err := decode(op, body, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// callOne makes cl and decodes the one model its answer carries. When a 2xx carries no body (a 204,
// say) the result comes from ifEmpty (reading back what was created or changed); with a nil ifEmpty
// that is an error.
func callOne[T any](ctx context.Context, c *Client, cl call, ifEmpty func(context.Context) (*T, error)) (*T, error) {
	body, err := c.do(ctx, cl)
	if err != nil {
		return nil, err
	}
	if ifEmpty != nil && empty(body) {
		return ifEmpty(ctx)
	}
	return decodeOne[T](cl.op, body)
}
