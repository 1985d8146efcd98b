package data8test

import (
	"github.com/data8-toolkit/data8/client"
)

// Client returns a client.Client for s: its base URL, token URL and credentials, then opts (which may
// override them, add a retry policy, a logger ...). The client is closed when s is closed. It panics if
// the client cannot be made, as NewServer does when it cannot listen.
func (s *Server) Client(opts ...client.Option) *client.Client {
	c, err := client.New(append([]client.Option{
		client.WithBaseURL(s.URL),
		client.WithTokenURL(s.TokenURL),
		client.WithCredentials(s.ClientID, s.ClientSecret),
	}, opts...)...)
	if err != nil {
		panic("data8test: " + err.Error())
	}
	s.lifeMu.Lock()
	s.clients = append(s.clients, c)
	s.lifeMu.Unlock()
	return c
}
