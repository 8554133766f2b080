"""Line and billing-account operations: the operator gateway, single operations, bulk jobs."""
