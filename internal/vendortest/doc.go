// Package vendortest is the kit the vendor simulators
// (internal/adapters/<vendor>/<vendor>test) are built on, and the helpers
// their tests share. It uses the standard library only.
//
// A simulator keeps what is its vendor's own: endpoints, state, credentials
// and the shape of its error answers. From the kit it gets a [Sim], an
// [http.Handler] that, for every request, in this order:
//
//  1. reads the body once, up to [Options.MaxBodyBytes], so that the
//     recorder, the auth check and the handler all see it;
//  2. records it for [Sim.Requests] and counts it for [Sim.Calls];
//  3. applies the first matching [Fault] queued with [Sim.InjectFault]: a
//     canned status, body and headers, a delay, or a dropped connection;
//     with [Fault.AfterHandler] the steps below run first and the fault
//     then replaces, delays or drops their answer;
//  4. refuses a body over the limit with [ErrBodyTooLarge];
//  5. routes it: patterns registered with [Sim.Handle] run
//     [Options.Auth] before the method is looked at, those registered with
//     [Sim.HandlePublic] do not; an unknown method is a 405 with an Allow
//     header and an unknown path goes through Auth and then is a 404.
//
// Every error answer, the kit's own (see [ErrUnauthorized] and the other
// Err values) as well as a handler's, is written by [Options.WriteError],
// because vendors answer errors differently: an HTTP status with a JSON
// body, or 200 with success:false and a code.
//
// Tests mount a simulator under a non-empty base path with [Start] (the
// sandbox with [Serve]), so an adapter that builds an absolute URL instead of
// joining its base URL gets a 404 and fails the test. [Clock] and [LogBuffer]
// are the settable clock and goroutine-safe log sink tests need.
//
// A simulator of a vendor that takes its token in the query and answers
// errors with HTTP 200:
//
//	sim := vendortest.New(vendortest.Options{
//		Auth: func(r *http.Request) error {
//			if r.URL.Query().Get("token") != token {
//				return errors.New("bad token")
//			}
//			return nil
//		},
//		WriteError: func(w http.ResponseWriter, _ *http.Request, err error) {
//			fmt.Fprintf(w, `{"success":false,"message":%q}`, err)
//		},
//	})
//	sim.HandlePublic("/access_token", vendortest.Methods{http.MethodPost: issueToken})
//	sim.Handle("/contacts", vendortest.Methods{http.MethodGet: listContacts})
//	base := vendortest.Start(t, "/vendors/acme", sim)
package vendortest
