print("switchboard-bench")
