//! A Verilog testbench for a whole board top (module `top` with `clk`, `rx`,
//! `tx` and the LEDs): it plays the host's side of the link on the UART pins,
//! bit by bit at `clocks_per_bit`, stop and wait as the host does: it sends
//! one command's bytes, then waits until the answer's bytes have come back on
//! `tx` before sending the next. Every byte received is printed in hex; a
//! framing error on `tx` is printed as `framing error`.
//!
//! The script ([`script_hex`]) is a list of 32-bit words for `$readmemh`:
//! per command, the number of bytes, the bytes, and the total number of bytes
//! expected back once its answer is complete; a count of 0 ends it.

use std::fmt::Write;

/// One command of a script: the bytes to send and the total bytes received
/// (since the start) once its answer is complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Bytes sent on `rx`.
    pub send: Vec<u8>,
    /// Bytes received on `tx` in all, after this step.
    pub received_total: usize,
}

/// The script file for [`board_bench`].
pub fn script_hex(steps: &[Step]) -> String {
    let mut s = String::new();
    for step in steps {
        let _ = writeln!(s, "{:08x}", step.send.len());
        for b in &step.send {
            let _ = writeln!(s, "{b:08x}");
        }
        let _ = writeln!(s, "{:08x}", step.received_total);
    }
    s.push_str("00000000\n");
    s
}

/// Words in the script of `steps`.
pub fn script_words(steps: &[Step]) -> usize {
    steps.iter().map(|s| s.send.len() + 2).sum::<usize>() + 1
}

/// The testbench (module `tb`) for a script of `words` words, stopping after
/// `budget` clocks at the latest; the top holds its UART idle for `startup`
/// clocks after configuration.
pub fn board_bench(clocks_per_bit: u32, startup: u32, words: usize, budget: u64) -> String {
    format!(
        "module tb;
  reg clk = 0;
  reg rx = 1;
  wire tx, led_activity, led_error;
  top dut(.clk(clk), .clock_ready(1'b1), .rx(rx), .tx(tx), .led_activity(led_activity), .led_error(led_error));
  reg [31:0] script [0:{last}];
  integer p = 0, n, i, j, k, want;
  integer received = 0;
  integer clocks = 0;
  reg [7:0] rbyte;
  always #1 clk = ~clk;
  always @(posedge clk) begin
    clocks = clocks + 1;
    if (clocks >= {budget}) begin
      $display(\"budget of {budget} clocks exhausted\");
      $finish;
    end
  end
  // The host's receiver: sample each bit of tx in its middle.
  always begin
    @(negedge tx);
    repeat ({half}) @(posedge clk);
    for (k = 0; k < 8; k = k + 1) begin
      repeat ({cpb}) @(posedge clk);
      rbyte[k] = tx;
    end
    repeat ({cpb}) @(posedge clk);
    if (tx !== 1'b1) $display(\"framing error\");
    $display(\"%h\", rbyte);
    received = received + 1;
  end
  task send_byte(input [7:0] b);
    begin
      rx = 0;
      repeat ({cpb}) @(posedge clk);
      for (j = 0; j < 8; j = j + 1) begin
        rx = b[j];
        repeat ({cpb}) @(posedge clk);
      end
      rx = 1;
      repeat ({cpb}) @(posedge clk);
    end
  endtask
  initial begin
    $readmemh(\"script.hex\", script);
    repeat ({wait_start}) @(posedge clk);
    while (script[p] != 0) begin
      n = script[p];
      p = p + 1;
      for (i = 0; i < n; i = i + 1) begin
        send_byte(script[p][7:0]);
        p = p + 1;
      end
      want = script[p];
      p = p + 1;
      while (received < want) @(posedge clk);
    end
    repeat ({tail}) @(posedge clk);
    $display(\"clocks %0d\", clocks);
    $finish;
  end
endmodule
",
        last = words.max(1) - 1,
        half = clocks_per_bit / 2,
        cpb = clocks_per_bit,
        wait_start = startup + 10,
        tail = 20 * clocks_per_bit,
    )
}
