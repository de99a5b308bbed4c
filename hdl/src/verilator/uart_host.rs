//! The host's end of a board's UART line in Verilog, for simulating a whole
//! board top (its netlist) through its pins: module `top` with the core's
//! byte interface (the ports the Verilator harness drives), which sends each
//! byte it takes to the board's `rx` pin as 8N1 at `clocks_per_bit`, and
//! receives the board's `tx` pin the same way, sampling each bit in its
//! middle. The board top is instantiated as module `spikefab_board` with the
//! pins of `spikefab_firmware::top::BoardTop`: `clk`, `clock_ready`, `rx`,
//! `tx`, `led_activity`, `led_error`.
//!
//! `idle` comes from the frames (spec §10.1: `0xA5 | type | seq | len |
//! payload | crc`) counted each way: the board owes nothing once it has sent
//! as many frames as it was sent (every command gets exactly one final
//! answer, §10.2) and both lines are quiet. It assumes well-formed commands:
//! raw garbage sent to the board would upset the count.

/// The name the board top's module takes beside the wrapper.
pub const BOARD_MODULE: &str = "spikefab_board";

/// The wrapper's Verilog: module `top` around [`BOARD_MODULE`], holding its
/// first byte until `startup_clocks` have passed (the board's start-up hold).
pub fn uart_host(clocks_per_bit: u32, startup_clocks: u32) -> String {
    assert!(clocks_per_bit >= 4, "a UART needs at least 4 clocks per bit");
    let half = clocks_per_bit / 2;
    format!(
        "\
module top(
    input clock,
    input [7:0] in_data,
    input in_valid,
    output in_ready,
    output reg [7:0] out_data,
    output reg out_valid,
    input out_ready,
    output idle
);
    localparam CPB = {clocks_per_bit};
    localparam STARTUP = {startup_clocks};
    wire line_to_board;
    wire line_from_board;
    wire led_activity;
    wire led_error;
    {BOARD_MODULE} board(
        .clk(clock),
        .clock_ready(1'b1),
        .rx(line_to_board),
        .tx(line_from_board),
        .led_activity(led_activity),
        .led_error(led_error)
    );

    // To the board: start bit, 8 data bits (LSB first), stop bit.
    reg [31:0] since_start = 0;
    reg [9:0] tx_shift = 10'h3ff;
    reg [3:0] tx_bits = 0;
    reg [15:0] tx_count = 0;
    wire started = since_start >= STARTUP;
    assign in_ready = started && tx_bits == 0;
    assign line_to_board = tx_shift[0];
    always @(posedge clock) begin
        if (!started) since_start <= since_start + 1;
        if (tx_bits == 0) begin
            if (in_valid && started) begin
                tx_shift <= {{1'b1, in_data, 1'b0}};
                tx_bits <= 10;
                tx_count <= CPB - 1;
            end
        end else if (tx_count == 0) begin
            tx_shift <= {{1'b1, tx_shift[9:1]}};
            tx_bits <= tx_bits - 1;
            tx_count <= CPB - 1;
        end else begin
            tx_count <= tx_count - 1;
        end
    end

    // From the board: wait for a start bit, sample each bit in its middle;
    // a byte whose stop bit is 0 is dropped (the host's decoder then sees
    // a broken frame).
    reg rx_busy = 0;
    reg [3:0] rx_bits = 0;
    reg [15:0] rx_count = 0;
    reg [7:0] rx_shift = 0;
    wire rx_done = rx_busy && rx_count == 0 && rx_bits == 8 && line_from_board;
    always @(posedge clock) begin
        out_valid <= 1'b0;
        if (!rx_busy) begin
            if (!line_from_board) begin
                rx_busy <= 1'b1;
                rx_bits <= 0;
                rx_count <= CPB + {half} - 1;
            end
        end else if (rx_count == 0) begin
            if (rx_bits == 8) begin
                rx_busy <= 1'b0;
                if (line_from_board) begin
                    out_data <= rx_shift;
                    out_valid <= 1'b1;
                end
            end else begin
                rx_shift <= {{line_from_board, rx_shift[7:1]}};
                rx_bits <= rx_bits + 1;
                rx_count <= CPB - 1;
            end
        end else begin
            rx_count <= rx_count - 1;
        end
    end

    // Frames each way, for `idle`.
    wire [31:0] frames_sent;
    wire [31:0] frames_received;
    spikefab_frame_count count_sent(
        .clock(clock), .strobe(in_valid && in_ready), .data(in_data), .frames(frames_sent)
    );
    spikefab_frame_count count_received(
        .clock(clock), .strobe(rx_done), .data(rx_shift), .frames(frames_received)
    );
    // Not while a received byte waits on `out_data` (the harness reads it in
    // the next clock, before it looks at `idle` again).
    assign idle = tx_bits == 0 && !rx_busy && !out_valid && frames_sent == frames_received;
endmodule

// Counts the frames of a byte stream, a byte per `strobe`: a sync byte, type,
// seq, len, 2 × len payload bytes and the 2-byte CRC.
module spikefab_frame_count(input clock, input strobe, input [7:0] data, output reg [31:0] frames);
    reg [1:0] phase = 0;
    reg [1:0] head = 0;
    reg [9:0] left = 0;
    initial frames = 0;
    always @(posedge clock) begin
        if (strobe) begin
            case (phase)
                2'd0: if (data == 8'hA5) begin
                    phase <= 2'd1;
                    head <= 2'd0;
                end
                2'd1: begin
                    head <= head + 2'd1;
                    if (head == 2'd2) begin
                        left <= {{1'b0, data, 1'b0}} + 10'd2;
                        phase <= 2'd2;
                    end
                end
                default: begin
                    left <= left - 10'd1;
                    if (left == 10'd1) begin
                        phase <= 2'd0;
                        frames <= frames + 32'd1;
                    end
                end
            endcase
        end
    end
endmodule
"
    )
}

/// `netlist` (yosys's `write_verilog` of a design whose top is `top`) with
/// that module named [`BOARD_MODULE`]; `None` if it has no module `top`.
pub fn rename_top(netlist: &str) -> Option<String> {
    let mut out = String::with_capacity(netlist.len() + 16);
    let mut found = false;
    for line in netlist.lines() {
        match line.strip_prefix("module top(") {
            Some(rest) if !found => {
                found = true;
                out.push_str(&format!("module {BOARD_MODULE}({rest}"));
            }
            _ => out.push_str(line),
        }
        out.push('\n');
    }
    found.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_board_module_is_renamed_once() {
        let n = "/* x */\nmodule top(a, b);\n  input a;\nendmodule\nmodule other(c);\nendmodule\n";
        let r = rename_top(n).unwrap();
        assert!(r.contains("module spikefab_board(a, b);") && r.contains("module other(c);"));
        assert!(rename_top("module other(c);\nendmodule\n").is_none());
    }

    #[test]
    fn the_wrapper_passes_verilators_lint() {
        let board = "module spikefab_board(input clk, input clock_ready, input rx, output tx, \
                     output led_activity, output led_error);\n  assign tx = rx;\n  \
                     assign led_activity = clock_ready;\n  assign led_error = 1'b0;\nendmodule\n";
        let v = format!("{}{board}", uart_host(10, 16));
        crate::rungs::check_verilog("top", &v).unwrap();
    }
}
